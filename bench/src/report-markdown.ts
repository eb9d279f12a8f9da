import type { BenchReport, ScenarioResult, VariantResult } from './results.js'
import { SATURATED } from './targets.js'

/** `12345.6` → `12,346`; small values keep two decimals. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2)
}

export function formatRatio(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(2)}×`
}

function formatBytes(value: number | undefined): string {
  return value === undefined ? '–' : Math.round(value).toLocaleString('en-US')
}

/** Markdown cells must not break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

export function formatPercent(share: number | undefined): string {
  return share === undefined ? '–' : `${Math.round(share * 100)}%`
}

/** Other processes' or the hypervisor's share of a core worth mentioning. */
const NOTABLE_SHARE = 0.05

function variantRow(variant: VariantResult, unit: string, reference: string): string {
  const label = variant.id === reference ? `${variant.label} (reference)` : variant.label
  if (variant.notMeasured !== undefined) {
    return `| ${cell(label)} | not measured: ${cell(variant.notMeasured)} | | | | | | | | | | | |`
  }
  const mb = (bytes: number): string => formatNumber(bytes / 1048576)
  const cpu = variant.cpu
  const notes = [
    variant.status === undefined ? undefined : `status ${variant.status}`,
    variant.cacheStatus === undefined ? undefined : `Cache-Status: ${variant.cacheStatus}`,
    variant.memory === undefined
      ? undefined
      : `RSS +${mb(variant.memory.rssGrowth)} MB, live heap + external +${mb(variant.memory.liveGrowth)} MB, ` +
        `store ${mb(variant.memory.storeBytes)} of ${mb(variant.memory.storeBound)} MB`,
    cpu?.otherOnServerCore !== undefined && cpu.otherOnServerCore >= NOTABLE_SHARE
      ? `others on the server's core (processes, interrupts): ${formatPercent(cpu.otherOnServerCore)}`
      : undefined,
    cpu?.stealOnServerCore !== undefined && cpu.stealOnServerCore >= NOTABLE_SHARE
      ? `steal on the server's core: ${formatPercent(cpu.stealOnServerCore)}`
      : undefined,
    cpu?.otherOnLoadCore !== undefined && cpu.otherOnLoadCore >= NOTABLE_SHARE
      ? `others on autocannon's core: ${formatPercent(cpu.otherOnLoadCore)}`
      : undefined,
    ...variant.problems.map((problem) => `⚠ ${problem}`),
  ].filter((note) => note !== undefined)
  const perSecond = `${formatNumber(variant.perSecond)} ${unit}`
  return (
    `| ${cell(label)} | ${perSecond} | ${formatRatio(variant.ratio)} | ${formatNumber(variant.latencyP50)} | ` +
    `${formatNumber(variant.latencyP99)} | ${formatBytes(variant.bytesPerResponse)} | ${formatBytes(variant.bodyBytes)} ` +
    `${variant.contentEncoding ?? ''} | ${formatNumber(cpu?.perResponse)} | ${formatRatio(variant.capacityRatio)} | ` +
    `${formatPercent(cpu?.server)} | ${formatPercent(cpu?.load)} | ` +
    `${variant.hitRatio === undefined ? '–' : `${(variant.hitRatio * 100).toFixed(1)}%`} | ` +
    `${cell(notes.join('; '))} |`
  )
}

function scenarioSection(scenario: ScenarioResult): string {
  const lines = [`### \`${scenario.name}\` (${scenario.group})`, '', scenario.title, '']
  if (scenario.notMeasured !== undefined) {
    lines.push(`Not measured: ${scenario.notMeasured}.`, '')
    return lines.join('\n')
  }
  lines.push(
    `| variant | median ${scenario.unit} | ratio | p50 ms | p99 ms | bytes/response | body bytes | ` +
      `server µs/response | capacity ratio | server CPU | autocannon CPU | hit ratio | notes |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...scenario.variants.map((variant) => variantRow(variant, scenario.unit, scenario.reference)),
    '',
  )
  return lines.join('\n')
}

/** The human report: settings, targets (met / missed / not measured), then one table per scenario. */
export function renderMarkdown(report: BenchReport): string {
  const { machine, settings } = report
  const lines = [
    '# brisk benchmark results',
    '',
    `Run ${report.startedAt} → ${report.finishedAt} of ${machine.revision}; Node ${machine.node} on ${machine.platform}, ${machine.cpus} × ${machine.cpuModel}; ` +
      (machine.pinned
        ? 'servers pinned to core 0, autocannon to core 1 (taskset).'
        : 'taskset unavailable: nothing pinned.') +
      (machine.redis === undefined ? '' : ` Redis: ${machine.redis}.`),
    '',
    `Each variant: ${warmUpText(settings)}, then ${settings.repeats} rounds of ${settings.duration} s, variants interleaved; ` +
      `${settings.connections} connections. Figures are medians of the rounds; ratios divide by the reference measured in the same run.`,
    '',
  ]
  if (machine.quick)
    lines.push('> `--quick` run: a subset with short rounds, to check the harness, not to quote.', '')
  lines.push(
    '## Targets',
    '',
    'Throughput targets show the req/s ratio and the capacity ratio (CPU per response of the ' +
      "variant compared with, over the variant's). The verdict uses the req/s ratio when both " +
      `servers were saturated (≥ ${formatPercent(SATURATED)} of their core), the capacity ratio otherwise ` +
      '(see "How to read the numbers" in bench/README.md).',
    '',
    '| target | measured | verdict | judged by | req/s ratio | capacity ratio | server CPU (variant, compared with) | from |',
    '| --- | ---: | --- | --- | ---: | ---: | ---: | --- |',
  )
  for (const target of report.targets) {
    const serverCpu =
      target.serverCpu === undefined
        ? '–'
        : `${formatPercent(target.serverCpu.variant)}, ${formatPercent(target.serverCpu.reference)}`
    lines.push(
      `| ${cell(target.target)} | ${formatRatio(target.measured)} | ${cell(target.verdict)} | ` +
        `${target.judgedBy ?? '–'} | ${formatRatio(target.throughputRatio)} | ${formatRatio(target.capacityRatio)} | ` +
        `${serverCpu} | ${cell(target.detail)} |`,
    )
  }
  lines.push('', '## Scenarios', '')
  for (const scenario of report.scenarios) lines.push(scenarioSection(scenario))
  return lines.join('\n')
}

function warmUpText(settings: BenchReport['settings']): string {
  const { warmup, warmupMaxSeconds: most } = settings
  const requests = settings.warmupRequests ?? 0
  if (warmup === 0) return 'no warm-up'
  if (requests === 0 || most === undefined || warmup >= most) return `${warmup} s warm-up`
  return (
    `${warmup} s warm-up (an HTTP server's lengthened until it answered ${requests.toLocaleString('en-US')} ` +
    `requests, ${most} s at most)`
  )
}
