import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // moto's DynamoDB for the store suites, started once per run (test/setup/moto.ts); the scratch
    // directory where each packaged stage is built once per run (test/setup/package.ts).
    globalSetup: ['test/setup/moto.ts', 'test/setup/package.ts'],
  },
});
