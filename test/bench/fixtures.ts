import type { BenchReport, ScenarioResult, VariantResult } from '../../bench/src/results.js'

/** A measured variant with the given median. */
export function measured(id: string, perSecond: number, more: Partial<VariantResult> = {}): VariantResult {
  return { id, label: `label of ${id}`, perSecond, rounds: [perSecond], problems: [], ...more }
}

export function scenario(
  name: string,
  reference: string,
  variants: VariantResult[],
  more: Partial<ScenarioResult> = {},
): ScenarioResult {
  return { name, group: '0 test', title: `title of ${name}`, unit: 'req/s', reference, variants, ...more }
}

export function report(scenarios: ScenarioResult[], quick = false): BenchReport {
  return {
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    machine: {
      cpus: 2,
      cpuModel: 'Test CPU',
      node: 'v20.0.0',
      platform: 'linux x64',
      pinned: true,
      quick,
      revision: 'abc123',
    },
    settings: { duration: 10, warmup: 3, repeats: 5, connections: 50 },
    scenarios,
    targets: [],
  }
}
