// Self instructions per response by function, from a callgrind dump made with --dump-instr=yes
// of a node started with --perf-basic-prof: callgrind names Node's C++ and V8's builtins itself,
// but sees JIT-compiled JavaScript only as addresses, which V8's perf map (/tmp/perf-<pid>.map)
// turns into function names. count.sh does both with BRISK_COUNT_BY_FUNCTION=1.
//
//   node bench/instructions/by-function.mjs <dump> <map> <requests> [top=40] [<dump> <map>]
//
// With a second dump and map: the difference, first minus second, largest first.
import { readFileSync } from 'node:fs'

const [dumpA, mapA, requestsArg, topArg = '40', dumpB, mapB] = process.argv.slice(2)
if (dumpA === undefined || mapA === undefined || requestsArg === undefined) {
  console.error('usage: by-function.mjs <dump> <map> <requests> [top] [<dump> <map>]')
  process.exit(1)
}
const requests = Number(requestsArg)
const top = Number(topArg)

/** The perf map's code ranges, sorted by start: `start size name` per line, in hex. */
function readMap(file) {
  const ranges = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const first = line.indexOf(' ')
    const second = line.indexOf(' ', first + 1)
    if (second === -1) continue
    ranges.push([
      parseInt(line.slice(0, first), 16),
      parseInt(line.slice(first + 1, second), 16),
      line.slice(second + 1),
    ])
  }
  return ranges.sort((a, b) => a[0] - b[0])
}

function nameAt(ranges, address) {
  let low = 0
  let high = ranges.length - 1
  while (low <= high) {
    const middle = (low + high) >> 1
    if (ranges[middle][0] <= address) low = middle + 1
    else high = middle - 1
  }
  // Code may be placed where older code was: the latest range covering the address wins.
  for (let i = high; i >= 0 && address - ranges[i][0] < 1 << 22; i--) {
    if (address < ranges[i][0] + ranges[i][1]) return ranges[i][2]
  }
  return undefined
}

/** Self cost per function name (positions: instr line; cost lines after calls= are inclusive, skipped). */
function selfCosts(dumpFile, mapFile) {
  const ranges = readMap(mapFile)
  const names = new Map()
  const costs = new Map()
  let fn = '?'
  let last = 0
  let afterCall = false
  const named = (rest) => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(rest)
    if (match === null) return rest
    if (match[2] !== undefined) names.set(match[1], match[2])
    return names.get(match[1]) ?? rest
  }
  for (const line of readFileSync(dumpFile, 'utf8').split('\n')) {
    const c = line.charCodeAt(0)
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      const [position, , ir] = line.split(' ')
      if (position === '*') {
        // same address
      } else if (position[0] === '+' || position[0] === '-') {
        const delta = position.startsWith('0x', 1)
          ? parseInt(position.slice(3), 16)
          : Number(position.slice(1))
        last += position[0] === '+' ? delta : -delta
      } else last = position.startsWith('0x') ? parseInt(position, 16) : Number(position)
      if (afterCall) {
        afterCall = false
        continue
      }
      // Functions callgrind could not name are JIT code (or stubs): name them from the map.
      // Names compare across runs: one bundle per variant (server.<variant>.mjs), and callgrind's
      // 'N suffix of a recursion depth.
      const key = (fn.startsWith('0x') ? (nameAt(ranges, last) ?? `unnamed ${fn}`) : fn)
        .replace(/server\.[^/]*\.mjs/, 'server.mjs')
        .replace(/'\d+$/, '')
      costs.set(key, (costs.get(key) ?? 0) + Number(ir ?? 0))
    } else if (line.startsWith('fn=')) fn = named(line.slice(3))
    else if (line.startsWith('cfn=')) named(line.slice(4))
    else if (line.startsWith('calls=')) afterCall = true
  }
  return costs
}

const a = selfCosts(dumpA, mapA)
const b = dumpB === undefined ? new Map() : selfCosts(dumpB, mapB)
const total = (costs) => [...costs.values()].reduce((sum, value) => sum + value, 0) / requests
const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => [
  name,
  ((a.get(name) ?? 0) - (b.get(name) ?? 0)) / requests,
])
rows.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))
console.log(
  dumpB === undefined
    ? `total ${total(a).toFixed(0)}`
    : `total ${total(a).toFixed(0)} - ${total(b).toFixed(0)}`,
)
for (const [name, value] of rows.slice(0, top))
  console.log(`${value.toFixed(1).padStart(10)}  ${name.slice(0, 140)}`)
