import { formatNumber, formatRatio } from './report-markdown.js'
import type { BenchReport } from './results.js'

const WIDTH = 1000
const LABEL_WIDTH = 430
const BAR_WIDTH = 380
const ROW = 20
const HEADER = 28

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  )
}

/**
 * A horizontal bar chart, one block per scenario: each bar is the variant's median scaled to the
 * fastest variant of its scenario (scenarios differ by orders of magnitude), labelled with the
 * median and the ratio to the reference. Unmeasured variants get a label and no bar.
 */
export function renderSvg(report: BenchReport): string {
  const parts: string[] = []
  let y = 40
  for (const scenario of report.scenarios) {
    parts.push(
      `<text x="10" y="${y + 18}" class="h">${escapeXml(`${scenario.name}: ${scenario.title}`)}</text>`,
    )
    y += HEADER
    if (scenario.notMeasured !== undefined) {
      parts.push(
        `<text x="20" y="${y + 14}" class="n">${escapeXml(`not measured: ${scenario.notMeasured}`)}</text>`,
      )
      y += ROW
      continue
    }
    const max = Math.max(
      0,
      ...scenario.variants.map((v) => (v.notMeasured === undefined ? (v.perSecond ?? 0) : 0)),
    )
    for (const variant of scenario.variants) {
      const label = variant.id === scenario.reference ? `${variant.label} (ref)` : variant.label
      parts.push(
        `<text x="20" y="${y + 14}">${escapeXml(label.length > 62 ? `${label.slice(0, 61)}…` : label)}</text>`,
      )
      if (variant.notMeasured !== undefined) {
        parts.push(
          `<text x="${LABEL_WIDTH}" y="${y + 14}" class="n">${escapeXml(`not measured: ${variant.notMeasured}`)}</text>`,
        )
      } else {
        const value = variant.perSecond ?? 0
        const width = max > 0 ? Math.max(1, Math.round((value / max) * BAR_WIDTH)) : 0
        const doubtful = variant.problems.length > 0
        parts.push(
          `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${width}" height="${ROW - 6}" class="${variant.id === scenario.reference ? 'r' : doubtful ? 'w' : 'b'}"/>`,
          `<text x="${LABEL_WIDTH + width + 6}" y="${y + 14}">${escapeXml(`${formatNumber(value)} ${scenario.unit} · ${formatRatio(variant.ratio)}${doubtful ? ' ⚠' : ''}`)}</text>`,
        )
      }
      y += ROW
    }
    y += 8
  }
  const height = y + 10
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    '<style>.h{font-weight:bold;font-size:13px}.n{fill:#888;font-style:italic}.b{fill:#3b7dd8}.r{fill:#999}.w{fill:#d8893b}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="24" class="h">${escapeXml(`brisk benchmarks, ${report.startedAt}${report.machine.quick ? ' (--quick)' : ''}: medians, ratio to each scenario's reference`)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
