/**
 * Phase 3: cold init. Fresh Node processes import a bundle and serve one request against
 * DynamoDB Local (and, for create, this process's local Step Functions endpoint); the time from
 * spawn to the response line, create-build against the baseline bundle, interleaved.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startLocalStack } from '../../local/stack';
import { apiEvent } from '../lib/events';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { BUILDS_PATH, benchSeed, CREATE_FORM } from '../lib/seed';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const DIAGNOSTIC_RUNS = Number(process.env.BENCH_COLD_DIAGNOSTIC_RUNS ?? 9);
const DRIVER = fileURLToPath(new URL('../cold-driver.mjs', import.meta.url));

export interface ColdRun {
  variant: string;
  sourceMaps: boolean;
  spawnToResponseMs: number;
  bootMs: number;
  importMs: number;
  firstRequestMs: number;
  /** Peak resident memory (MB), on the runs that serve MEMORY_REQUESTS after the first. */
  maxRssMb?: number;
}

export interface ColdInitResult {
  runs: ColdRun[];
  /** Peak resident memory (MB) of each bundle after its first request and 200 more. */
  memory: Record<string, number>;
}

async function main(): Promise<void> {
  const bundles = JSON.parse(process.env.BENCH_COLD_BUNDLES ?? '{}') as Record<string, string>;
  const outDir = process.env.BENCH_OUT_DIR!;
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-cold-${randomUUID()}`,
    buildWaitSeconds: 3600,
    port: 0,
    env: handlerEnv(),
  });
  const eventFile = join(outDir, 'cold-create-event.json');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(eventFile, JSON.stringify(apiEvent('POST', BUILDS_PATH, CREATE_FORM)));

  // A Lambda-like environment: what the stack sets on the create function (NODE_OPTIONS
  // included), the local endpoints, and nothing inherited from this process (no tsx loader).
  const { NODE_OPTIONS: stackNodeOptions, ...deployed } = handlerEnv();
  const baseEnv: Record<string, string> = {
    ...deployed,
    PATH: process.env.PATH ?? '',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    TABLE_NAME: stack.tableName,
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT!,
    STEPFUNCTIONS_ENDPOINT: process.env.STEPFUNCTIONS_ENDPOINT!,
    STATE_MACHINE_ARN: process.env.STATE_MACHINE_ARN!,
  };

  const runOnce = (variant: string, sourceMaps: boolean, memoryRequests = 0): Promise<ColdRun> =>
    new Promise((resolve, reject) => {
      const env = {
        ...baseEnv,
        ...(sourceMaps && stackNodeOptions ? { NODE_OPTIONS: stackNodeOptions } : {}),
        MEMORY_REQUESTS: String(memoryRequests),
      };
      const started = performance.now();
      const child = spawn(process.execPath, [DRIVER, bundles[variant]!, eventFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let answered: number | undefined;
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.stdout.on('data', (chunk: Buffer) => {
        answered ??= performance.now();
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        try {
          const [line, memoryLine] = stdout
            .trim()
            .split('\n')
            .map((text) => JSON.parse(text)) as [
            { statusCode: number; bootMs: number; importMs: number; firstRequestMs: number },
            { maxRssMb?: number } | undefined,
          ];
          if (code !== 0 || answered === undefined || !(line.statusCode === 201)) throw new Error(`exit ${code}, status ${line.statusCode}`);
          resolve({
            variant,
            sourceMaps,
            spawnToResponseMs: answered - started,
            bootMs: line.bootMs,
            importMs: line.importMs,
            firstRequestMs: line.firstRequestMs,
            maxRssMb: memoryLine?.maxRssMb,
          });
        } catch (error) {
          reject(new Error(`cold start of ${variant} failed (${(error as Error).message}): ${stderr.slice(-2000)} ${stdout.slice(-500)}`));
        }
      });
    });

  const variants = Object.keys(bundles);
  // One discarded run of each (file cache), then interleaved runs, the order alternating.
  for (const variant of variants) await runOnce(variant, true);
  const runs: ColdRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const variant of i % 2 === 0 ? variants : [...variants].reverse()) runs.push(await runOnce(variant, true));
  }
  // Diagnostic: the same without the stack's NODE_OPTIONS (--enable-source-maps).
  for (let i = 0; i < DIAGNOSTIC_RUNS; i++) {
    for (const variant of i % 2 === 0 ? variants : [...variants].reverse()) runs.push(await runOnce(variant, false));
  }
  // Peak memory of each function after its cold start and 200 more requests (not timed).
  const memory: Record<string, number> = {};
  for (const variant of variants) memory[variant] = (await runOnce(variant, true, 200)).maxRssMb!;
  await report('result', { runs, memory });
  await stack.stop();
  process.exit(0);
}

main().catch(fail);
