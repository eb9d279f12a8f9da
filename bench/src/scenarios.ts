import type { AppKind, Framework, Layer, ServerSpec } from './server-spec.js'

/** What autocannon sends in a scenario (a variant may override parts of it). */
export interface LoadShape {
  path: string
  headers: Record<string, string>
  /** Distinct URLs cycled through (`/?k=0…n-1`); default 1. */
  distinctKeys?: number
  /** Revalidate with the ETag the server gave (If-None-Match). */
  revalidate?: boolean
  /** The status every response must have; anything else marks the variant's numbers invalid. */
  expectStatus: number
}

export interface HttpVariant {
  id: string
  label: string
  /** The server to start; absent when the variant is a slot for something not built yet. */
  server?: ServerSpec
  /** Why this variant is not measured (shown as "not measured: …"). */
  skip?: string
  load?: Partial<LoadShape>
  /**
   * Why this variant warms up for `--warmup` seconds only, whatever `--warmup-requests` says: a
   * server whose rate is a wait (the uncached blog's 5 ms "database") never reaches the count
   * and would always run to the bound, while what it runs per request warms in seconds.
   */
  warmupByTime?: string
}

export interface HttpScenario {
  kind: 'http'
  name: string
  group: string
  title: string
  /** The variant every ratio divides by, measured in the same run. */
  reference: string
  load: LoadShape
  variants: HttpVariant[]
  /** Variants run under `--quick`; the scenario is not in the quick subset when absent. */
  quick?: readonly string[]
  /**
   * Why each variant keeps one server process through all rounds. Absent: every round starts
   * fresh processes (warmed up again), so the median over rounds is one over processes too.
   */
  oneProcess?: string
}

export interface DataCacheVariant {
  id:
    | 'brisk-memory'
    | 'brisk-tiered'
    | 'bentocache-memory'
    | 'bentocache-tiered'
    | 'cache-manager-memory'
    | 'cache-manager-tiered'
  label: string
}

export interface DataCacheScenario {
  kind: 'data-cache'
  name: string
  group: string
  title: string
  reference: DataCacheVariant['id']
  variants: DataCacheVariant[]
  quick?: readonly DataCacheVariant['id'][]
}

export type Scenario = HttpScenario | DataCacheScenario

/**
 * The @brisk/node adapter wrapping the app's request listener with the built layer (what the
 * example blog does with BRISK_MODE=front); `front()` below is the adapters' own front mode.
 */
const WITH_BRISK_LABEL = (what: string): string => `${what}, withBrisk(…) around the app listener`

const FRAMEWORK_LABEL: Record<Framework, string> = {
  node: 'node:http',
  koa3: 'Koa 3',
  express5: 'Express 5',
  express4: 'Express 4',
}

function variant(
  id: string,
  label: string,
  framework: Framework,
  app: AppKind,
  layer: Layer = 'none',
  more: Partial<ServerSpec> = {},
  load?: Partial<LoadShape>,
): HttpVariant {
  return {
    id,
    label: `${FRAMEWORK_LABEL[framework]}: ${label}`,
    server: { framework, app, layer, ...more },
    ...(load === undefined ? {} : { load }),
  }
}

function frontSlot(framework: Framework, label: string, layer: Layer): HttpVariant {
  return variant('brisk-front', `${label} (front mode: front(app, options))`, framework, 'page', layer, {
    mount: 'front',
  })
}

const PAGE = { path: '/', headers: {}, expectStatus: 200 }

function ceilings(): HttpScenario {
  return {
    kind: 'http',
    name: 'ceilings',
    group: '1 ceilings',
    title:
      'What each framework can serve at most: the page built once, written by a route or a first middleware',
    reference: 'node-raw',
    load: PAGE,
    variants: [
      variant('node-raw', 'raw write of the page bytes', 'node', 'raw'),
      variant('koa3-prebuilt', 'route sends prebuilt page', 'koa3', 'prebuilt'),
      variant('koa3-ceiling', 'first middleware writes prebuilt Buffer', 'koa3', 'ceiling'),
      variant('express5-prebuilt', 'route sends prebuilt page', 'express5', 'prebuilt'),
      variant('express5-ceiling', 'first middleware writes prebuilt Buffer', 'express5', 'ceiling'),
      variant('express4-prebuilt', 'route sends prebuilt page', 'express4', 'prebuilt'),
      variant('express4-ceiling', 'first middleware writes prebuilt Buffer', 'express4', 'ceiling'),
    ],
  }
}

function blog(framework: 'koa3' | 'express5'): HttpScenario {
  return {
    kind: 'http',
    name: `blog-${framework}`,
    group: '2 example blog',
    title: `The example blog's home page on ${FRAMEWORK_LABEL[framework]}: uncached, then with its brisk stack`,
    reference: 'uncached',
    load: { path: '/', headers: { 'accept-encoding': 'gzip, deflate, br' }, expectStatus: 200 },
    variants: [
      {
        ...variant('uncached', 'blog, every brisk switch off', framework, 'blog'),
        warmupByTime: 'its rate (~550 req/s) is the 5 ms wait per page, not CPU',
      },
      variant('brisk', 'blog, its brisk stack on (memory store)', framework, 'blog', 'none', {
        blogBrisk: true,
      }),
      variant(
        'brisk-withbrisk',
        'blog, its brisk stack in front (BRISK_MODE=front: withBrisk)',
        framework,
        'blog',
        'none',
        {
          blogBrisk: true,
          mount: 'withBrisk',
        },
      ),
    ],
  }
}

function cacheHits(framework: 'koa3' | 'express5' | 'express4'): HttpScenario {
  const koa = framework === 'koa3'
  const peer = koa
    ? variant('koa-cash', 'koa-cash (LRU)', framework, 'page', 'koa-cash')
    : variant('apicache', 'apicache (memory)', framework, 'page', 'apicache')
  const reference = koa ? 'prebuilt' : 'ceiling'
  const variants: HttpVariant[] = [
    // The references for front mode, measured in the same run: node:http writing the page's
    // bytes with two header fields, and writing exactly what a hit writes (five fields).
    variant('node-raw', 'raw write of the page bytes', 'node', 'raw'),
    variant(
      'node-raw-hit',
      "raw write of a hit's bytes (the page and the hit's five header fields)",
      'node',
      'raw-hit',
    ),
    variant('prebuilt', 'route sends prebuilt page (bare)', framework, 'prebuilt'),
    variant('ceiling', 'first middleware writes prebuilt Buffer', framework, 'ceiling'),
    ...(koa
      ? []
      : [
          variant(
            'ceiling-hit',
            "first middleware writes a hit's bytes (the page and the hit's five header fields)",
            framework,
            'ceiling-hit',
          ),
        ]),
    variant('brisk-memory', 'brisk cache, memory store', framework, 'page', 'brisk-cache-memory'),
    variant(
      'brisk-withbrisk',
      WITH_BRISK_LABEL('brisk cache, memory store'),
      framework,
      'page',
      'brisk-cache-memory',
      {
        mount: 'withBrisk',
      },
    ),
  ]
  if (framework !== 'express4') {
    variants.push(
      variant('uncached', 'page rendered per request, no cache', framework, 'page'),
      variant('brisk-redis', 'brisk cache, Redis store', framework, 'page', 'brisk-cache-redis'),
      variant(
        'brisk-tiered',
        'brisk cache, tiered store (memory + Redis)',
        framework,
        'page',
        'brisk-cache-tiered',
      ),
    )
  }
  variants.push(peer)
  variants.push(frontSlot(framework, 'brisk cache, memory store', 'brisk-cache-memory'))
  return {
    kind: 'http',
    name: `cache-hits-${framework}`,
    group: '3 cache hits',
    title: `Cache hits of the per-request page on ${FRAMEWORK_LABEL[framework]} (middleware mode), against ${koa ? 'koa-cash' : 'apicache'}`,
    reference,
    load: PAGE,
    variants,
    ...(framework === 'koa3' ? { quick: ['prebuilt', 'brisk-memory', 'koa-cash'] } : {}),
  }
}

function compression(framework: 'koa3' | 'express5', coding: 'gzip' | 'br'): HttpScenario {
  const koa = framework === 'koa3'
  return {
    kind: 'http',
    name: `compress-${framework}-${coding}`,
    group: '4 compression',
    title: `${coding} of the uncached page on ${FRAMEWORK_LABEL[framework]}: brisk against ${koa ? 'koa-compress' : 'compression'} (throughput and bytes)`,
    reference: 'identity',
    load: { path: '/', headers: { 'accept-encoding': coding }, expectStatus: 200 },
    variants: [
      variant('identity', 'no compression', framework, 'page'),
      variant('brisk', 'brisk compress', framework, 'page', 'brisk-compress'),
      koa
        ? variant('koa-compress', 'koa-compress', framework, 'page', 'koa-compress')
        : variant('compression', 'compression', framework, 'page', 'compression'),
    ],
  }
}

function fullStack(framework: 'koa3' | 'express5'): HttpScenario {
  const koa = framework === 'koa3'
  return {
    kind: 'http',
    name: `stack-${framework}`,
    group: '5 full stack',
    title: `Rate limit + conditional + cache + br on ${FRAMEWORK_LABEL[framework]}, against ${koa ? 'koa-cash + koa-compress' : 'apicache + compression'}`,
    reference: 'peers',
    load: { path: '/', headers: { 'accept-encoding': 'br' }, expectStatus: 200 },
    variants: [
      variant(
        'peers',
        koa ? 'koa-compress + koa-cash' : 'compression + apicache',
        framework,
        'page',
        'peer-stack',
      ),
      variant('brisk', 'brisk stack (createStack)', framework, 'page', 'brisk-stack'),
      variant('brisk-withbrisk', WITH_BRISK_LABEL('brisk stack'), framework, 'page', 'brisk-stack', {
        mount: 'withBrisk',
      }),
      frontSlot(framework, 'brisk stack', 'brisk-stack'),
    ],
  }
}

function revalidation(framework: 'koa3' | 'express5'): HttpScenario {
  const revalidate = { revalidate: true, expectStatus: 304 }
  const variants: HttpVariant[] = [
    variant(
      'hit-200',
      'brisk conditional + cache, plain GET (200 hit)',
      framework,
      'page',
      'brisk-conditional-cache',
    ),
    variant(
      'brisk-cache-304',
      'brisk conditional + cache, If-None-Match (304)',
      framework,
      'page',
      'brisk-conditional-cache',
      {},
      revalidate,
    ),
    variant(
      'brisk-304',
      'brisk conditional alone: render, hash, 304',
      framework,
      'page',
      'brisk-conditional',
      {},
      revalidate,
    ),
  ]
  if (framework === 'express5') {
    variants.push(
      variant(
        'express-etag-304',
        "Express's own weak ETag + fresh: render, hash, 304",
        framework,
        'page',
        'express-etag',
        {},
        revalidate,
      ),
    )
  }
  return {
    kind: 'http',
    name: `conditional-${framework}`,
    group: '6 conditional',
    title: `Revalidations answered 304 on ${FRAMEWORK_LABEL[framework]}, against a 200 hit of the same stack`,
    reference: 'hit-200',
    load: PAGE,
    variants,
  }
}

function rateLimits(framework: 'koa3' | 'express5'): HttpScenario {
  const koa = framework === 'koa3'
  const small = (id: string, label: string, layer: Layer): HttpVariant =>
    variant(id, label, framework, 'small', layer)
  return {
    kind: 'http',
    name: `ratelimit-${framework}`,
    group: '7 rate limiting',
    title: `Limiter overhead on a 1 KB route on ${FRAMEWORK_LABEL[framework]} (limit never reached), against the same route without a limiter`,
    reference: 'none',
    load: PAGE,
    variants: [
      small('none', '1 KB route, no limiter', 'none'),
      small('brisk-memory', 'brisk rateLimit, memory store', 'brisk-ratelimit-memory'),
      small('brisk-redis', 'brisk rateLimit, Redis store', 'brisk-ratelimit-redis'),
      small(
        'brisk-memory-noheaders',
        'brisk rateLimit, memory store, headers: false (the limiter without its fields)',
        'brisk-ratelimit-memory-noheaders',
      ),
      small(
        'static-fields',
        'no limiter, a middleware setting the same two RateLimit fields as constants (what the fields cost)',
        'ratelimit-fields-static',
      ),
      ...(koa
        ? [
            small('koa-ratelimit-memory', 'koa-ratelimit, memory driver', 'koa-ratelimit-memory'),
            small('koa-ratelimit-redis', 'koa-ratelimit, Redis driver', 'koa-ratelimit-redis'),
          ]
        : [
            small('express-rate-limit', 'express-rate-limit, memory store', 'express-rate-limit'),
            small(
              'express-rate-limit-redis',
              'express-rate-limit + rate-limit-redis',
              'express-rate-limit-redis',
            ),
          ]),
      small('rlf-memory', 'rate-limiter-flexible, memory', 'rlf-memory'),
      small('rlf-redis', 'rate-limiter-flexible, Redis', 'rlf-redis'),
    ],
    ...(koa ? {} : { quick: ['none', 'brisk-memory', 'express-rate-limit'] }),
  }
}

/** The memory store's bound in the scale scenario: small enough that 100k pages overflow it. */
export const SCALE_STORE_BOUND = '64 MB'

function scale(): HttpScenario {
  const keys = (n: number, label: string): HttpVariant =>
    variant(
      `keys-${label}`,
      `brisk cache (memory, ${SCALE_STORE_BOUND}), ${label} distinct URLs`,
      'koa3',
      'page',
      'brisk-cache-memory',
      { storeMaxSize: SCALE_STORE_BOUND },
      { distinctKeys: n },
    )
  // The RSS baseline: the same app under the same 100k-URL load, its store too small to keep a
  // page (maxEntrySize is a quarter of 1 KB), so it renders, captures and drops every body.
  const nostore = variant(
    'keys-100k-nostore',
    'brisk cache (memory, bounded to 1 KB: keeps no page), 100k distinct URLs',
    'koa3',
    'page',
    'brisk-cache-memory',
    { storeMaxSize: '1 KB' },
    { distinctKeys: 100_000 },
  )
  return {
    kind: 'http',
    name: 'scale-koa3',
    group: '8 scale',
    title: `Hit ratio, throughput and RSS as distinct URLs grow (Koa 3, memory store bounded to ${SCALE_STORE_BOUND})`,
    reference: 'keys-1',
    load: PAGE,
    variants: [keys(1, '1'), keys(1000, '1k'), keys(100_000, '100k'), nostore],
    oneProcess: 'the store fills to its bound over the rounds, and its RSS is what this measures',
  }
}

function dataCache(): DataCacheScenario {
  return {
    kind: 'data-cache',
    name: 'data-cache',
    group: '9 data cache',
    title:
      'getOrSet hits per second in a tight in-process loop (no HTTP): memory L1, and tiered = memory + Redis',
    reference: 'brisk-memory',
    variants: [
      { id: 'brisk-memory', label: 'brisk createDataCache, memoryStore' },
      { id: 'bentocache-memory', label: 'bentocache, memory driver (L1)' },
      { id: 'cache-manager-memory', label: 'cache-manager, Keyv in memory' },
      { id: 'brisk-tiered', label: 'brisk createDataCache, tieredStore (memory + Redis)' },
      { id: 'bentocache-tiered', label: 'bentocache, memory L1 + Redis L2 + Redis bus' },
      { id: 'cache-manager-tiered', label: 'cache-manager, Keyv memory + @keyv/redis' },
    ],
    quick: ['brisk-memory', 'bentocache-memory', 'cache-manager-memory'],
  }
}

/** Every scenario, in report order. */
export function allScenarios(): Scenario[] {
  return [
    ceilings(),
    blog('koa3'),
    blog('express5'),
    cacheHits('koa3'),
    cacheHits('express5'),
    cacheHits('express4'),
    compression('koa3', 'gzip'),
    compression('koa3', 'br'),
    compression('express5', 'gzip'),
    compression('express5', 'br'),
    fullStack('koa3'),
    fullStack('express5'),
    revalidation('koa3'),
    revalidation('express5'),
    rateLimits('koa3'),
    rateLimits('express5'),
    scale(),
    dataCache(),
  ]
}

/**
 * The scenarios a run covers: `--only` names (unknown names are an error listing the known
 * ones), else the quick subset trimmed to its quick variants, else all.
 */
export function selectScenarios(
  all: readonly Scenario[],
  only: readonly string[],
  quick: boolean,
): Scenario[] {
  if (only.length > 0) {
    const unknown = only.filter((name) => !all.some((scenario) => scenario.name === name))
    if (unknown.length > 0) {
      throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${all.map((s) => s.name).join(', ')}`)
    }
    return all.filter((scenario) => only.includes(scenario.name))
  }
  if (!quick) return [...all]
  const picked: Scenario[] = []
  for (const scenario of all) {
    if (scenario.quick === undefined) continue
    const keep: readonly string[] = scenario.quick
    picked.push(withVariants(scenario, (id) => keep.includes(id)))
  }
  return picked
}

/** The scenario with only the variants whose id `keep` accepts, in their order. */
function withVariants(scenario: Scenario, keep: (id: string) => boolean): Scenario {
  // The same filter twice: each kind's variants have a type of their own.
  return scenario.kind === 'http'
    ? { ...scenario, variants: scenario.variants.filter((v) => keep(v.id)) }
    : { ...scenario, variants: scenario.variants.filter((v) => keep(v.id)) }
}

/**
 * Every scenario trimmed to the named variants and its reference (ratios divide by it), so a
 * verdict can be measured again with more rounds on only what it compares. Empty: unchanged. An
 * id that no selected scenario has is an error listing the ids there are.
 */
export function keepVariants(scenarios: readonly Scenario[], ids: readonly string[]): Scenario[] {
  if (ids.length === 0) return [...scenarios]
  const known = new Set(scenarios.flatMap((scenario) => scenario.variants.map((v) => v.id)))
  const unknown = ids.filter((id) => !known.has(id))
  if (unknown.length > 0) {
    throw new Error(`unknown variant ${unknown.join(', ')}; known here: ${[...known].join(', ')}`)
  }
  return scenarios.map((scenario) =>
    withVariants(scenario, (id) => id === scenario.reference || ids.includes(id)),
  )
}
