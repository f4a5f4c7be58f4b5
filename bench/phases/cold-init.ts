/**
 * Phase 3: cold init. Fresh Node processes import a bundle and serve one request against
 * DynamoDB Local (and this process's local Step Functions endpoint and S3 server); the time from
 * spawn to the response line, each function against the baseline bundle, interleaved. Then each
 * bundle's peak memory after 200 more requests, and the upload function's peak memory while
 * uploading 4 MB files (each in a process of its own).
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalStack } from '../../local/stack';
import { ONE_ROUTE_FUNCTION, UPLOAD_FLOOR } from '../lib/bundle';
import { apiEvent } from '../lib/events';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { ASSET_VERSIONS_PATH, BUILDS_PATH, benchSeed, CREATE_FORM, FUNCTION_PATH, SERVICE_PATH, uploadForm } from '../lib/seed';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const DIAGNOSTIC_RUNS = Number(process.env.BENCH_COLD_DIAGNOSTIC_RUNS ?? 9);
const MEMORY_REQUESTS = 200;
/** The upload of a cold start: a small file (the 4 MB uploads are the memory measurement's). */
const COLD_UPLOAD_BYTES = 1024;
export const UPLOAD_MEMORY_BYTES = Number(process.env.BENCH_UPLOAD_MEMORY_BYTES ?? 4 * 1024 * 1024);
const UPLOAD_MEMORY_REQUESTS = Number(process.env.BENCH_UPLOAD_MEMORY_REQUESTS ?? 10);
const UPLOAD_MEMORY_RUNS = Number(process.env.BENCH_UPLOAD_MEMORY_RUNS ?? 3);
const DRIVER = fileURLToPath(new URL('../cold-driver.mjs', import.meta.url));
/** A diagnostic: one more cold start of each function with V8's CPU profiler on, its profile written here. */
const PROFILE_DIR = process.env.BENCH_COLD_CPU_PROFILE_DIR;

/** What the orchestrator passes per variant: the bundle and the function's deployed environment. */
export interface ColdBundle {
  file: string;
  env: Record<string, string>;
}

/** The request each function serves at its cold start, and the status it must answer. */
const REQUESTS: Record<string, { event: () => APIGatewayProxyEventV2; status: number; what: string }> = {
  'create-build': { event: () => apiEvent('POST', BUILDS_PATH, CREATE_FORM), status: 201, what: 'CreateBuild' },
  // The baseline's handler ignores its event.
  baseline: { event: () => apiEvent('POST', BUILDS_PATH, CREATE_FORM), status: 201, what: 'one PutItem' },
  services: { event: () => apiEvent('GET', SERVICE_PATH), status: 200, what: 'FetchService' },
  functions: { event: () => apiEvent('GET', FUNCTION_PATH), status: 200, what: 'FetchFunction' },
  [ONE_ROUTE_FUNCTION]: { event: () => apiEvent('GET', FUNCTION_PATH), status: 200, what: 'FetchFunction' },
  'upload-version': {
    event: () => {
      const form = uploadForm(randomBytes(COLD_UPLOAD_BYTES), 'cold.bin');
      return apiEvent('POST', ASSET_VERSIONS_PATH, form.body, form.contentType);
    },
    status: 201,
    what: `CreateAssetVersion of ${COLD_UPLOAD_BYTES} B`,
  },
  // Its handler ignores the event (it puts 1 KiB of its own).
  [UPLOAD_FLOOR]: { event: () => apiEvent('POST', ASSET_VERSIONS_PATH), status: 201, what: 'the upload’s four requests, bare' },
};

export interface ColdRun {
  variant: string;
  sourceMaps: boolean;
  spawnToResponseMs: number;
  bootMs: number;
  importMs: number;
  firstRequestMs: number;
  /** Peak resident memory (MB) once the first request is answered. */
  firstMaxRssMb: number;
  /** Peak resident memory (MB), on the runs that serve more requests after the first. */
  maxRssMb?: number;
}

export interface UploadMemoryRun {
  /** Peak RSS (MB) once the cold start's small upload is answered. */
  coldMaxRssMb: number;
  /** Peak RSS (MB) once the 4 MB uploads that followed are answered. */
  peakMaxRssMb: number;
}

export interface ColdInitResult {
  runs: ColdRun[];
  /** The request each variant served. */
  requests: Record<string, string>;
  /** Peak resident memory (MB) of each bundle after its first request and 200 more. */
  memory: Record<string, number>;
  /** The upload function: a cold start (a small upload), then uploads of `uploadMemoryBytes` each. */
  uploadMemory: { runs: UploadMemoryRun[]; bytes: number; uploads: number };
}

async function main(): Promise<void> {
  const bundles = JSON.parse(process.env.BENCH_COLD_BUNDLES ?? '{}') as Record<string, ColdBundle>;
  const diagnosticVariants = JSON.parse(process.env.BENCH_COLD_DIAGNOSTIC_VARIANTS ?? '["create-build","baseline"]') as string[];
  const outDir = process.env.BENCH_OUT_DIR!;
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-cold-${randomUUID()}`,
    buildWaitSeconds: 3600,
    port: 0,
    env: handlerEnv(),
  });
  mkdirSync(outDir, { recursive: true });
  const eventFiles: Record<string, string> = {};
  for (const variant of Object.keys(bundles)) {
    const request = REQUESTS[variant];
    if (!request) throw new Error(`no cold-start request for ${variant}`);
    eventFiles[variant] = join(outDir, `cold-${variant}-event.json`);
    writeFileSync(eventFiles[variant]!, JSON.stringify(request.event()));
  }
  const uploadMemoryEvent = join(outDir, 'memory-upload-event.json');
  const bigForm = uploadForm(randomBytes(UPLOAD_MEMORY_BYTES), 'memory.bin');
  writeFileSync(uploadMemoryEvent, JSON.stringify(apiEvent('POST', ASSET_VERSIONS_PATH, bigForm.body, bigForm.contentType)));

  // A Lambda-like environment: what the stack sets on each function (NODE_OPTIONS included), the
  // local endpoints, and nothing inherited from this process (no tsx loader).
  const local: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    TABLE_NAME: stack.tableName,
    DYNAMODB_ENDPOINT: process.env.DYNAMODB_ENDPOINT!,
    STEPFUNCTIONS_ENDPOINT: process.env.STEPFUNCTIONS_ENDPOINT!,
    STATE_MACHINE_ARN: process.env.STATE_MACHINE_ARN!,
    CONTENT_BUCKET: process.env.CONTENT_BUCKET!,
    S3_ENDPOINT: process.env.S3_ENDPOINT!,
  };

  interface DriverLine {
    statusCode: number;
    bootMs: number;
    importMs: number;
    firstRequestMs: number;
    maxRssMb: number;
    statuses?: Record<string, number>;
  }

  const runOnce = (variant: string, sourceMaps: boolean, memoryRequests = 0, memoryEvent = '', nodeArgs: string[] = []): Promise<ColdRun> =>
    new Promise((resolve, reject) => {
      const { NODE_OPTIONS: nodeOptions, ...deployed } = bundles[variant]!.env;
      const expected = REQUESTS[variant]!.status;
      const env = {
        ...deployed,
        ...local,
        ...(sourceMaps && nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
        MEMORY_REQUESTS: String(memoryRequests),
        MEMORY_EVENT: memoryEvent,
      };
      const started = performance.now();
      const child = spawn(process.execPath, [...nodeArgs, DRIVER, bundles[variant]!.file, eventFiles[variant]!], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let answered: number | undefined;
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        // The driver's timing line, not a metric line the handler wrote before answering.
        if (stdout.includes('"statusCode"')) answered ??= performance.now();
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => {
        clearTimeout(timer);
        try {
          const [line, memoryLine] = stdout
            .trim()
            .split('\n')
            .map((text) => JSON.parse(text) as DriverLine & { _aws?: unknown })
            .filter((parsed) => parsed._aws === undefined) as [DriverLine, DriverLine | undefined];
          if (code !== 0 || answered === undefined || line.statusCode !== expected) throw new Error(`exit ${code}, status ${line.statusCode}`);
          const wrong = Object.entries(memoryLine?.statuses ?? {}).filter(([status]) => Number(status) !== expected);
          if (wrong.length) throw new Error(`memory requests answered ${JSON.stringify(memoryLine?.statuses)}, expected ${expected}`);
          resolve({
            variant,
            sourceMaps,
            spawnToResponseMs: answered - started,
            bootMs: line.bootMs,
            importMs: line.importMs,
            firstRequestMs: line.firstRequestMs,
            firstMaxRssMb: line.maxRssMb,
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
  const diagnostic = variants.filter((variant) => diagnosticVariants.includes(variant));
  for (let i = 0; i < DIAGNOSTIC_RUNS; i++) {
    for (const variant of i % 2 === 0 ? diagnostic : [...diagnostic].reverse()) runs.push(await runOnce(variant, false));
  }
  // Peak memory of each function after its cold start and 200 more requests (not timed).
  const memory: Record<string, number> = {};
  for (const variant of variants) memory[variant] = (await runOnce(variant, true, MEMORY_REQUESTS)).maxRssMb!;
  // The upload function: a cold start with a small upload, then 4 MB uploads, in a process of its own each time.
  const uploadRuns: UploadMemoryRun[] = [];
  if (bundles['upload-version']) {
    for (let i = 0; i < UPLOAD_MEMORY_RUNS; i++) {
      const run = await runOnce('upload-version', true, UPLOAD_MEMORY_REQUESTS, uploadMemoryEvent);
      uploadRuns.push({ coldMaxRssMb: run.firstMaxRssMb, peakMaxRssMb: run.maxRssMb! });
    }
  }
  if (PROFILE_DIR) {
    for (const variant of variants)
      await runOnce(variant, true, 0, '', ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${variant}.cpuprofile`]);
  }
  const requests = Object.fromEntries(variants.map((variant) => [variant, REQUESTS[variant]!.what]));
  const result: ColdInitResult = { runs, requests, memory, uploadMemory: { runs: uploadRuns, bytes: UPLOAD_MEMORY_BYTES, uploads: UPLOAD_MEMORY_REQUESTS } };
  await report('result', result);
  await stack.stop();
  process.exit(0);
}

main().catch(fail);
