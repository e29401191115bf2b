import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Starts a PostgreSQL cluster only when PROVENANT_TEST_DB=postgres (test/helpers/postgres.ts).
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
  },
});
