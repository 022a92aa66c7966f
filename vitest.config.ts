import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // moto's DynamoDB for the store suites, started once per run (test/setup/moto.ts).
    globalSetup: ['test/setup/moto.ts'],
  },
});
