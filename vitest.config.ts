import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    globalSetup: ['__tests__/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Swarm tests start many real processes; two workers keep a 2-core machine responsive.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default']
  }
})
