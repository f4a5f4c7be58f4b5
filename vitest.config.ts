import { globSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Unit and infra tests share one process per worker (no module reload per file: aws-cdk-lib, the
 * AWS SDK and zod load once), except those that read the environment at their first import.
 * Every other file gets a process of its own: a local stack's handlers read their configuration
 * when first imported, so one stack per process (see local/stack.ts).
 */
const READ_ENV_AT_FIRST_IMPORT = ['test/unit/metrics.test.ts'];
const SHARED_PROCESS = globSync('test/{unit,infra}/**/*.test.ts', { cwd: fileURLToPath(new URL('.', import.meta.url)) }).filter(
  (file) => !READ_ENV_AT_FIRST_IMPORT.includes(file),
);

export default defineConfig({
  test: {
    pool: 'forks',
    // Most files wait (on DynamoDB Local, a build's wait, a child process): two at a time even on 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      // No EMF lines from every request of every test; test/integration/metrics.test.ts and
      // test/unit/metrics.test.ts turn them on to capture them.
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
    projects: [
      {
        extends: true,
        // Vitest queues projects by name: this one first, so that its long synths are not the run's tail.
        test: { name: 'infra-and-unit', include: SHARED_PROCESS, isolate: false },
      },
      {
        extends: true,
        test: {
          name: 'process-per-file',
          include: ['test/**/*.test.ts'],
          exclude: SHARED_PROCESS,
          // One DynamoDB Local (in memory) for these files; each uses its own table.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
