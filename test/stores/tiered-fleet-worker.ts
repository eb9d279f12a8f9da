/**
 * One instance of a fleet, in a process of its own, for tiered-fleet.test.ts. It runs a tiered
 * store against REDIS_URL under the prefix given as argv[2] and answers line-delimited JSON
 * commands on stdin: `{"get": key}`, `{"l1": key}`, `{"quit": true}`. It reports
 * `{"ready": true}` once subscribed and `{"invalidation": event}` for every remote invalidation.
 */
import { createInterface } from 'node:readline'
import { Redis } from 'ioredis'
import { memoryStore, redisStore, tieredStore } from '../../packages/cache/src/stores/index.js'

const prefix = process.argv[2]
if (prefix === undefined) throw new Error('usage: tiered-fleet-worker <prefix>')
const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const store = tieredStore({
  l1: memoryStore(),
  l2: redisStore({ client, prefix, timeout: '2s', logger: false }),
  logger: false,
})
const send = (message: object): void => void process.stdout.write(`${JSON.stringify(message)}\n`)

store.onInvalidation((event) => send({ invalidation: event }))
await store.ready()
send({ ready: true })

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as { get?: string; l1?: string; quit?: boolean }
  if (command.get !== undefined) send({ body: (await store.get(command.get))?.body.toString() ?? null })
  else if (command.l1 !== undefined) send({ l1: (await store.l1.get(command.l1)) !== undefined })
  else if (command.quit === true) break
}
await store.close?.()
await client.quit()
process.exit(0)
