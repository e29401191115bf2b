import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite's crash section (SIGKILL under load, minutes long) runs in the long
    // run, npm run test:reliability (docs/reliability.md).
    exclude: process.env.RELIABILITY_SCALE ? configDefaults.exclude : [...configDefaults.exclude, 'test/reliability/crash.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Starts a PostgreSQL cluster only when PROVENANT_TEST_DB=postgres (test/helpers/postgres.ts).
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
  },
});
