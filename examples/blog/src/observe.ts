import type { IncomingMessage, ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'
import type { PrometheusMetrics } from './prometheus.js'

/**
 * Watches one exchange from the outermost layer of either framework, so that responses
 * brisk answers without reaching a route (hits, 304s, 429s) are counted and logged too.
 */
export function observeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: PrometheusMetrics,
  logger: Logger | undefined,
): void {
  const started = performance.now()
  res.once('finish', () => {
    metrics.responseSent(req.method ?? 'GET', res.statusCode)
    logger?.info(
      {
        method: req.method,
        url: req.url,
        status: res.statusCode,
        ms: Number((performance.now() - started).toFixed(2)),
        cache: res.getHeader('cache-status'),
      },
      'request',
    )
  })
}
