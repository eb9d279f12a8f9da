import { COUNTERS, type BriskMetrics, type CounterName } from '@brisk/core'
import { collectDefaultMetrics, Counter, Registry } from 'prom-client'

/** `compress.bytesIn` → `brisk_compress_bytes_in_total`, Prometheus' naming conventions. */
export function prometheusName(counter: CounterName): string {
  return `brisk_${counter
    .replace(/\./g, '_')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()}_total`
}

/**
 * The blog's `/metrics`: brisk's counters (cache hits, misses, stale, bypasses, compressed
 * bytes, limited requests, backend errors, ...), the blog's own responses by status, and
 * Node's process metrics, in the Prometheus text format.
 */
export class PrometheusMetrics {
  readonly registry = new Registry()
  private readonly responses: Counter<'method' | 'status'>

  constructor(brisk: BriskMetrics) {
    for (const [name, help] of Object.entries(COUNTERS) as Array<[CounterName, string]>) {
      let reported = 0
      new Counter({
        name: prometheusName(name),
        help,
        registers: [this.registry],
        // Read brisk's counter when Prometheus scrapes rather than subscribing to every
        // increment: the hit path stays a property write, the bridge costs one read per scrape.
        collect() {
          const current = brisk.get(name)
          if (current < reported) this.reset()
          this.inc(current < reported ? current : current - reported)
          reported = current
        },
      })
    }
    this.responses = new Counter({
      name: 'blog_http_responses_total',
      help: 'responses sent by the blog, including those brisk answered itself',
      labelNames: ['method', 'status'],
      registers: [this.registry],
    })
    collectDefaultMetrics({ register: this.registry, prefix: 'blog_' })
  }

  /** Counts one response sent. */
  responseSent(method: string, status: number): void {
    this.responses.inc({ method, status: String(status) })
  }

  get contentType(): string {
    return this.registry.contentType
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }
}
