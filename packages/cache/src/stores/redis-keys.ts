import calculateSlot from 'cluster-key-slot'
import type { RedisClient } from './redis-scripts.js'

// Keys per DEL/UNLINK: big enough to amortize round-trips, small enough not to block Redis
// for long on one command.
const BATCH = 500

/**
 * Unlinks `keys`, in batches, grouped per hash slot on Cluster so that no command spans
 * slots (CROSSSLOT). UNLINK frees large bodies off Redis's main thread. Resolves with how many
 * keys existed.
 */
export async function unlinkKeys(
  client: RedisClient,
  keys: readonly string[],
  run: (command: () => Promise<number>) => Promise<number>,
): Promise<number> {
  const keyPrefix = clientKeyPrefix(client)
  if (keys.length === 0) return 0
  const groups: string[][] = []
  if (client.isCluster) {
    const bySlot = new Map<number, string[]>()
    for (const key of keys) {
      // ioredis prepends its keyPrefix before routing, so the slot is the prefixed key's.
      const slot = calculateSlot(keyPrefix + key)
      let group = bySlot.get(slot)
      if (group === undefined) bySlot.set(slot, (group = []))
      group.push(key)
    }
    for (const group of bySlot.values())
      for (let i = 0; i < group.length; i += BATCH) groups.push(group.slice(i, i + BATCH))
  } else {
    for (let i = 0; i < keys.length; i += BATCH) groups.push(keys.slice(i, i + BATCH))
  }
  const counts = await Promise.all(groups.map((group) => run(() => client.unlink(...group))))
  return counts.reduce((sum, n) => sum + n, 0)
}

/** Escapes glob characters so that a prefix matches only itself in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * The `keyPrefix` ioredis prepends to every key argument (not to SCAN patterns or replies),
 * or `''`. Stores account for it where ioredis does not: SCAN and slot grouping.
 */
export function clientKeyPrefix(client: RedisClient): string {
  const keyPrefix = (client.options as { keyPrefix?: unknown }).keyPrefix
  if (typeof keyPrefix === 'string') return keyPrefix
  if (Buffer.isBuffer(keyPrefix)) return keyPrefix.toString()
  return ''
}
