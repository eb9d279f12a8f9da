import { describe, expect, it } from 'vitest'
import { formatNumber, formatRatio, renderMarkdown } from '../../bench/src/report-markdown.js'
import { escapeXml, renderSvg } from '../../bench/src/report-svg.js'
import { measured, report, scenario } from './fixtures.js'

const sample = report([
  scenario('cache-hits-koa3', 'prebuilt', [
    measured('prebuilt', 10_000, {
      ratio: 1,
      latencyP50: 3,
      latencyP99: 12.5,
      bytesPerResponse: 45_819,
      bodyBytes: 45_652,
      status: 200,
    }),
    measured('brisk-memory', 5000, {
      ratio: 0.5,
      hitRatio: 0.999,
      cacheStatus: 'brisk; hit',
      label: 'a | piped <label>',
    }),
    { id: 'brisk-front', label: 'front', rounds: [], problems: [], notMeasured: 'front mode not built' },
    measured('koa-cash', 2500, { ratio: 0.25, problems: ['3 socket errors'] }),
  ]),
  scenario('blog-koa3', 'uncached', [], { notMeasured: 'example blog not ready' }),
])

describe('formatNumber and formatRatio', () => {
  it.each([
    [12_345.6, '12,346'],
    [100, '100'],
    [99.567, '99.57'],
    [undefined, '–'],
    [Number.NaN, '–'],
  ])('formats %s as %s', (value, text) => {
    expect(formatNumber(value)).toBe(text)
  })

  it('writes ratios with two decimals and a ×', () => {
    expect(formatRatio(0.954)).toBe('0.95×')
    expect(formatRatio(undefined)).toBe('–')
  })
})

describe('renderMarkdown', () => {
  const markdown = renderMarkdown({
    ...sample,
    targets: [{ target: 'T | x', measured: 2.5, verdict: 'met', detail: 'a / b' }],
  })

  it('marks the reference and gives each variant its median, ratio and latencies', () => {
    expect(markdown).toContain(
      '| label of prebuilt (reference) | 10,000 req/s | 1.00× | 3.00 | 12.50 | 45,819 | 45,652',
    )
  })

  it('says how the variants were warmed: seconds, and the response count they were lengthened to', () => {
    expect(markdown).toContain('Each variant: 3 s warm-up, then 5 rounds of 10 s')
    const settings = (changes: Partial<typeof sample.settings>): string =>
      renderMarkdown({ ...sample, settings: { ...sample.settings, ...changes } })
    expect(settings({ warmupRequests: 60_000, warmupMaxSeconds: 20 })).toContain(
      "Each variant: 3 s warm-up (an HTTP server's lengthened until it answered 60,000 requests, 20 s at most), then 5 rounds",
    )
    // No lengthening said where none could happen.
    expect(settings({ warmup: 0, warmupRequests: 60_000, warmupMaxSeconds: 20 })).toContain(
      'Each variant: no warm-up, then',
    )
    expect(settings({ warmup: 30, warmupRequests: 60_000, warmupMaxSeconds: 20 })).toContain(
      'Each variant: 30 s warm-up, then',
    )
    expect(settings({ warmupRequests: 0, warmupMaxSeconds: 20 })).toContain('Each variant: 3 s warm-up, then')
  })

  it('names the Redis the run used, when it used one', () => {
    expect(markdown).not.toContain('Redis:')
    const withRedis = renderMarkdown({
      ...sample,
      machine: { ...sample.machine, redis: "the run's own redis-server, on core 1" },
    })
    expect(withRedis).toContain("(taskset). Redis: the run's own redis-server, on core 1.")
  })

  it('escapes pipes so a label cannot break the table', () => {
    expect(markdown).toContain('| a \\| piped <label> | 5,000 req/s | 0.50× |')
  })

  it('shows the hit ratio, the Cache-Status seen and any problem', () => {
    expect(markdown).toContain('99.9%')
    expect(markdown).toContain('Cache-Status: brisk; hit')
    expect(markdown).toContain('⚠ 3 socket errors')
  })

  it('says what was not measured and why', () => {
    expect(markdown).toContain('| front | not measured: front mode not built |')
    expect(markdown).toContain('Not measured: example blog not ready.')
  })

  it('lists the targets with their verdict, the figure judged and both ratios', () => {
    expect(markdown).toContain('| T \\| x | 2.50× | met | – | – | – | – | a / b |')
    const judged = renderMarkdown({
      ...sample,
      targets: [
        {
          target: 'T',
          measured: 2,
          verdict: 'met',
          detail: 'd',
          judgedBy: 'CPU per response',
          throughputRatio: 0.9,
          capacityRatio: 2,
          serverCpu: { variant: 0.6, reference: 0.99 },
        },
      ],
    })
    expect(judged).toContain('| T | 2.00× | met | CPU per response | 0.90× | 2.00× | 60%, 99% | d |')
  })

  it("gives each variant's server CPU per response, capacity ratio and both sides' CPU", () => {
    const withCpu = renderMarkdown(
      report([
        scenario('cache-hits-koa3', 'prebuilt', [
          measured('prebuilt', 10_000, {
            capacityRatio: 1,
            cpu: { perResponse: 41.26, server: 0.97, load: 0.62, otherOnServerCore: 0.12, rounds: [] },
          }),
        ]),
      ]),
    )
    expect(withCpu).toContain('| 41.26 | 1.00× | 97% | 62% |')
    expect(withCpu).toContain("others on the server's core (processes, interrupts): 12%")
  })

  it('warns that a quick run is not to be quoted', () => {
    expect(renderMarkdown(report([], true))).toContain('`--quick` run')
    expect(renderMarkdown(report([], false))).not.toContain('`--quick` run')
  })
})

describe('renderSvg', () => {
  const svg = renderSvg(sample)
  const bars = [...svg.matchAll(/<rect x="430" y="\d+" width="(\d+)" height="14" class="(\w)"\/>/g)]

  it('is one svg element sized to its content', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
    expect(svg.trim().endsWith('</svg>')).toBe(true)
    expect(svg).toMatch(/height="(\d+)" viewBox="0 0 1000 \1"/)
  })

  it('scales bars to the fastest variant of their scenario and skips unmeasured ones', () => {
    expect(bars.map((bar) => Number(bar[1]))).toEqual([380, 190, 95])
  })

  it('colours the reference and doubtful variants apart', () => {
    expect(bars.map((bar) => bar[2])).toEqual(['r', 'b', 'w'])
  })

  it('escapes text', () => {
    expect(svg).toContain('a | piped &lt;label&gt;')
    expect(svg).not.toContain('<label>')
    expect(escapeXml(`<&"'>`)).toBe('&lt;&amp;&quot;&apos;&gt;')
  })

  it('labels bars with the median and the ratio', () => {
    expect(svg).toContain('5,000 req/s · 0.50×')
    expect(svg).toContain('not measured: front mode not built')
  })
})
