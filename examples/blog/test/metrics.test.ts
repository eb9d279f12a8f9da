import { BriskMetrics, COUNTERS, type CounterName } from '@brisk/core'
import { describe, expect, test } from 'vitest'
import { PrometheusMetrics, prometheusName } from '../src/prometheus.js'
import { Purge } from '../src/purge.js'

describe('prometheusName', () => {
  test.each([
    ['cache.hit', 'brisk_cache_hit_total'],
    ['compress.bytesIn', 'brisk_compress_bytes_in_total'],
    ['data.factoryError', 'brisk_data_factory_error_total'],
    ['ratelimit.limited', 'brisk_ratelimit_limited_total'],
  ] as Array<[CounterName, string]>)('%s is exported as %s', (counter, name) => {
    expect(prometheusName(counter)).toBe(name)
  })
})

describe('PrometheusMetrics', () => {
  test('every brisk counter is exported with its current value', async () => {
    const brisk = new BriskMetrics()
    const metrics = new PrometheusMetrics(brisk)
    brisk.inc('cache.miss', 2)
    brisk.inc('compress.bytesOut', 1234)
    const text = await metrics.text()
    for (const counter of Object.keys(COUNTERS) as CounterName[]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${prometheusName(counter)} counter$`, 'm'))
    }
    expect(text).toMatch(/^brisk_cache_miss_total 2$/m)
    expect(text).toMatch(/^brisk_compress_bytes_out_total 1234$/m)
    brisk.inc('cache.miss')
    expect(await metrics.text()).toMatch(/^brisk_cache_miss_total 3$/m)
  })

  test('a reset of brisk counters restarts the exported counter instead of going negative', async () => {
    const brisk = new BriskMetrics()
    const metrics = new PrometheusMetrics(brisk)
    brisk.inc('cache.hit', 5)
    await metrics.text()
    brisk.reset()
    brisk.inc('cache.hit', 1)
    expect(await metrics.text()).toMatch(/^brisk_cache_hit_total 1$/m)
  })
})

describe('Purge', () => {
  test('a post change purges its page, the lists and each of its tags once', () => {
    expect(Purge.tagsForPost(7, ['redis', 'http', 'redis'])).toEqual([
      'post:7',
      'list',
      'tag:redis',
      'tag:http',
    ])
  })

  test('a failing purge is logged, not thrown: the edit is already committed', async () => {
    const warnings: object[] = []
    const logger = { error() {}, info() {}, debug() {}, warn: (obj: object) => warnings.push(obj) }
    const purge = new Purge(logger, () => Promise.reject(new Error('redis down')))
    await expect(purge.postChanged(1, [])).resolves.toBeUndefined()
    expect(warnings).toHaveLength(1)
  })

  test('purges reach the cache with the tags of the change', async () => {
    const purged: string[][] = []
    const logger = { error() {}, info() {}, debug() {}, warn() {} }
    const purge = new Purge(logger, async (tags) => {
      purged.push([...tags])
    })
    await purge.postChanged(3, ['a'])
    expect(purged).toEqual([['post:3', 'list', 'tag:a']])
  })
})
