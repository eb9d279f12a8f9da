import type { Prng } from './prng.js'

// Word lists for generated prose. Sentences follow a few templates so that the text reads
// like a technical blog (and compresses like real text, not like random bytes).
const SUBJECTS = [
  'the cache',
  'our reverse proxy',
  'a slow query',
  'the connection pool',
  'every request',
  'the event loop',
  'a cold start',
  'the load balancer',
  'the build pipeline',
  'the search index',
  'a stale entry',
  'the rate limiter',
  'the database',
  'this approach',
  'the team',
  'a careful benchmark',
  'the garbage collector',
  'a single header',
  'the CDN',
  'our on-call engineer',
] as const

const VERBS = [
  'doubles',
  'hides',
  'reveals',
  'shortens',
  'simplifies',
  'breaks',
  'absorbs',
  'explains',
  'outlives',
  'rewards',
  'punishes',
  'measures',
  'protects',
  'delays',
  'replaces',
  'survives',
] as const

const OBJECTS = [
  'the tail latency',
  'a thundering herd',
  'most of the traffic',
  'the p99 spikes',
  'every deploy',
  'the memory budget',
  'a forgotten index',
  'the slowest endpoint',
  'the weekly report',
  'our error budget',
  'the first byte',
  'half of the CPU time',
  'a subtle race',
  'the morning peak',
  'the invalidation logic',
  'the compression ratio',
] as const

const CLAUSES = [
  'when the traffic doubles',
  'as long as nobody touches it',
  'once the numbers are in',
  'under a realistic load',
  'if the keys are chosen well',
  'before anyone notices',
  'after the first incident',
  'in the staging environment',
  'on a quiet Sunday',
  'with a little patience',
  'without a single extra server',
  'as the profiler showed',
] as const

const OPENERS = [
  'In practice,',
  'Surprisingly,',
  'As it turns out,',
  'More often than not,',
  'To be fair,',
  'Looking back,',
  'On paper,',
  'In our experience,',
  'Admittedly,',
  'Time and again,',
] as const

const TITLE_WORDS = [
  'Caching',
  'Latency',
  'Compression',
  'Invalidation',
  'Throughput',
  'Backpressure',
  'Indexes',
  'Headers',
  'Queues',
  'Timeouts',
  'Retries',
  'Sessions',
  'Profiling',
  'Streams',
  'Budgets',
  'Benchmarks',
] as const

const TITLE_SHAPES = [
  (a: string, b: string) => `What ${a} Taught Us About ${b}`,
  (a: string, b: string) => `${a} Without Tears: Notes on ${b}`,
  (a: string, b: string) => `Why ${a} Beats ${b} (Most of the Time)`,
  (a: string, b: string) => `A Field Guide to ${a} and ${b}`,
  (a: string, b: string) => `${a}, ${b}, and the Cost of Guessing`,
  (a: string, b: string) => `Ten Lessons from a Year of ${a} and ${b}`,
  (a: string, b: string) => `The Quiet Art of ${a}, Revisited for ${b}`,
] as const

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** One sentence of plausible engineering prose. */
export function sentence(random: Prng): string {
  const core = `${random.pick(SUBJECTS)} ${random.pick(VERBS)} ${random.pick(OBJECTS)}`
  const withClause = random.next() < 0.6 ? `${core} ${random.pick(CLAUSES)}` : core
  return random.next() < 0.3 ? `${random.pick(OPENERS)} ${withClause}.` : `${capitalize(withClause)}.`
}

/** A paragraph of 3 to 7 sentences. */
export function paragraph(random: Prng): string {
  const count = random.int(3, 7)
  const sentences: string[] = []
  for (let i = 0; i < count; i++) sentences.push(sentence(random))
  return sentences.join(' ')
}

/** A post body: paragraphs separated by blank lines. */
export function postBody(random: Prng, minParagraphs = 3, maxParagraphs = 9): string {
  const count = random.int(minParagraphs, maxParagraphs)
  const paragraphs: string[] = []
  for (let i = 0; i < count; i++) paragraphs.push(paragraph(random))
  return paragraphs.join('\n\n')
}

/** A headline. */
export function title(random: Prng): string {
  const [a, b] = random.sample(TITLE_WORDS, 2) as [string, string]
  return random.pick(TITLE_SHAPES)(a, b)
}
