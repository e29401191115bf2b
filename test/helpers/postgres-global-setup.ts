/**
 * vitest global set-up: with PROVENANT_TEST_DB=postgres and no PROVENANT_TEST_POSTGRES_URL, one
 * throw-away PostgreSQL cluster for the whole run (test files get databases of their own on it).
 * The URL reaches the test workers through the environment they are started with.
 */
import { startCluster, testEngine } from './postgres.js';

export default async function setup(): Promise<(() => void) | undefined> {
  if (testEngine() !== 'postgres' || process.env.PROVENANT_TEST_POSTGRES_URL) return undefined;
  const cluster = await startCluster();
  process.env.PROVENANT_TEST_POSTGRES_URL = cluster.url;
  return () => {
    cluster.stop();
    delete process.env.PROVENANT_TEST_POSTGRES_URL;
  };
}
