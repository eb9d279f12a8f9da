/**
 * CPU time at the edges of a measured round: the server and the load generator each sample
 * their own process before and after, and the harness samples each core (/proc/stat), so the
 * report can say how much CPU each response cost the server, and whether the server, autocannon
 * or something else on the machine ran out of CPU first.
 */
import { readFileSync } from 'node:fs'

export interface CpuSample {
  /** User + system CPU time of every thread of the process (process.cpuUsage), µs. */
  cpu: number
  /** Monotonic clock, µs. */
  wall: number
}

export function cpuSample(): CpuSample {
  const usage = process.cpuUsage()
  return { cpu: usage.user + usage.system, wall: Number(process.hrtime.bigint() / 1000n) }
}

/** What a process spent between two samples, µs. */
export function cpuBetween(start: CpuSample, end: CpuSample): CpuSample {
  return { cpu: end.cpu - start.cpu, wall: end.wall - start.wall }
}

/** One core's cumulative times from /proc/stat, µs (10 ms resolution: USER_HZ is 100). */
export interface CoreTimes {
  /** user + nice + system + irq + softirq: what every process on the machine ran there. */
  busy: number
  idle: number
  /** Time a virtual machine's core was runnable but the hypervisor ran something else. */
  steal: number
}

const TICK_MICROS = 10_000

/** Every core's times, or undefined where /proc/stat cannot be read (not Linux). */
export function coreTimes(): CoreTimes[] | undefined {
  try {
    const cores: CoreTimes[] = []
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+) (.*)$/.exec(line)
      if (match === null) continue
      // user nice system idle iowait irq softirq steal guest guest_nice
      const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]!
        .trim()
        .split(/\s+/)
        .map(Number)
      cores[Number(match[1])] = {
        busy: (user! + nice! + system! + irq! + softirq!) * TICK_MICROS,
        idle: (idle! + iowait!) * TICK_MICROS,
        steal: (steal ?? 0) * TICK_MICROS,
      }
    }
    return cores.length > 0 ? cores : undefined
  } catch {
    return undefined
  }
}

/** A core's times between two readings. */
export function coreBetween(start: CoreTimes, end: CoreTimes): CoreTimes {
  return { busy: end.busy - start.busy, idle: end.idle - start.idle, steal: end.steal - start.steal }
}
