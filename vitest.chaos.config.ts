import { configDefaults, defineConfig } from 'vitest/config'
import base from './vitest.config.js'

/**
 * The chaos suite (`npm run test:chaos`): fault injection under load, cluster workers and
 * the soak. Slow and CPU-hungry, so it runs apart from `npm test`, one file at a time. It
 * takes the main config's resolve conditions (workspace packages from their sources).
 */
export default defineConfig({
  resolve: base.resolve,
  ssr: base.ssr,
  test: {
    include: ['test/chaos/**/*.test.ts'],
    exclude: [...configDefaults.exclude],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
})
