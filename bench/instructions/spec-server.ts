/**
 * Any benchmark variant as a server for the instruction count: `count.sh <scenario>/<variant>`
 * (e.g. `cache-hits-express5/brisk-front`) builds exactly the server `npm run bench` starts for
 * that variant, with brisk's packages from their builds as the bench runs them, and prints the
 * load the scenario sends so count.sh can send the same requests. Redis variants use `REDIS_URL`
 * (default `redis://127.0.0.1:6379`) under a prefix of their own, deleted when the server stops;
 * their count is this process's instructions, not Redis's.
 *
 * `node bench/instructions/spec-server.mjs <scenario> <variant> <port>` (count.sh bundles it).
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import { buildServer } from '../src/build-server.js'
import { deletePrefix, redisUrl } from '../src/redis-keys.js'
import { allScenarios, type HttpScenario } from '../src/scenarios.js'
import { usesRedis } from '../src/server-spec.js'

const [scenarioName = '', variantId = '', port = '3000'] = process.argv.slice(2)
const scenarios = allScenarios().filter((candidate): candidate is HttpScenario => candidate.kind === 'http')
const scenario = scenarios.find((candidate) => candidate.name === scenarioName)
const variant = scenario?.variants.find((candidate) => candidate.id === variantId)
if (scenario === undefined || variant?.server === undefined) {
  const known = scenarios.map(
    (candidate) => `${candidate.name}/{${candidate.variants.map((v) => v.id).join(',')}}`,
  )
  console.error(`unknown or unbuilt variant ${scenarioName}/${variantId}; known:\n${known.join('\n')}`)
  process.exit(2)
}
const load = { ...scenario.load, ...variant.load }
if (load.revalidate === true || (load.distinctKeys ?? 1) > 1) {
  // count.sh sends one fixed request; revalidations and key cycling need the bench's load process.
  console.error(`${scenarioName}/${variantId}: its load is not one fixed request`)
  process.exit(2)
}
if (variant.server.app === 'blog') {
  console.error(`${scenarioName}/${variantId}: blog variants need the bench's setup`)
  process.exit(2)
}
// Redis variants get a key prefix of their own, as the harness gives them, deleted on the way out.
const redis = usesRedis(variant.server)
  ? { url: redisUrl(), prefix: `brisk-bench:count-${randomUUID()}:` }
  : undefined
const built = await buildServer({ ...variant.server, ...(redis === undefined ? {} : { redis }) })
// The request for count.sh, then `ready <path>`: one `field <name>: <value>` line per field.
for (const [name, value] of Object.entries(load.headers)) console.log(`field ${name}: ${value}`)
createServer({ keepAliveTimeout: 60_000 }, built.value).listen(Number(port), '127.0.0.1', () =>
  console.log(`ready ${load.path}`),
)
const stop = (): void => {
  if (redis === undefined) process.exit(0)
  else void deletePrefix(redis.url, redis.prefix).finally(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
