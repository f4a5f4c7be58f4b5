/**
 * Phase 3: cold init. Fresh Node processes (bench/cold-driver.mjs) import a bundle and serve one request against the local
 * stack's backends: spawn to response line, every variant interleaved. Then each bundle's peak memory after 200 more
 * requests, and the upload function's while uploading 4 MB files, each in a process of its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LocalStack } from '../../local/stack';
import { ONE_ROUTE_FUNCTION, UPLOAD_FLOOR } from '../lib/bundle';
import { apiEvent } from '../lib/events';
import { measureOnStack } from '../lib/ipc';
import { ASSET_VERSIONS_PATH, BUILDS_PATH, CREATE_FORM, FUNCTION_PATH, SERVICE_PATH, uploadForm } from '../lib/seed';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const MEMORY_REQUESTS = 200;
/** A cold start's upload is small; the 4 MB uploads are the memory measurement's. */
const COLD_UPLOAD_BYTES = 1024;
const UPLOAD_MEMORY_BYTES = Number(process.env.BENCH_UPLOAD_MEMORY_BYTES ?? 4 * 1024 * 1024);
const UPLOAD_MEMORY_REQUESTS = Number(process.env.BENCH_UPLOAD_MEMORY_REQUESTS ?? 10);
const UPLOAD_MEMORY_RUNS = Number(process.env.BENCH_UPLOAD_MEMORY_RUNS ?? 3);
const DRIVER = fileURLToPath(new URL('../cold-driver.mjs', import.meta.url));

/** The request each function serves at its cold start, and the status it must answer. */
const uploadEvent = (bytes: number, name: string) => {
  const form = uploadForm(randomBytes(bytes), name);
  return apiEvent('POST', ASSET_VERSIONS_PATH, form.body, form.contentType);
};
const REQUESTS: Record<string, { event: () => APIGatewayProxyEventV2; status: number; what: string }> = {
  'create-build': { event: () => apiEvent('POST', BUILDS_PATH, CREATE_FORM), status: 201, what: 'CreateBuild' },
  // The baseline's handler ignores its event, as the bare upload's does (it puts 1 KiB of its own).
  baseline: { event: () => apiEvent('POST', BUILDS_PATH, CREATE_FORM), status: 201, what: 'one PutItem' },
  services: { event: () => apiEvent('GET', SERVICE_PATH), status: 200, what: 'FetchService' },
  functions: { event: () => apiEvent('GET', FUNCTION_PATH), status: 200, what: 'FetchFunction' },
  [ONE_ROUTE_FUNCTION]: { event: () => apiEvent('GET', FUNCTION_PATH), status: 200, what: 'FetchFunction' },
  'upload-version': { event: () => uploadEvent(COLD_UPLOAD_BYTES, 'cold.bin'), status: 201, what: `CreateAssetVersion of ${COLD_UPLOAD_BYTES} B` },
  [UPLOAD_FLOOR]: { event: () => apiEvent('POST', ASSET_VERSIONS_PATH), status: 201, what: 'the upload’s four requests, bare' },
};

export type ColdInitResult = Awaited<ReturnType<typeof measure>>;

type ColdRun = { spawnToResponseMs: number; bootMs: number; importMs: number; firstRequestMs: number; firstMaxRssMb: number; maxRssMb?: number };
type DriverLine = { statusCode: number; bootMs: number; importMs: number; firstRequestMs: number; maxRssMb: number; statuses?: Record<string, number> };

async function measure(stack: LocalStack) {
  const bundles = JSON.parse(process.env.BENCH_COLD_BUNDLES ?? '{}') as Record<string, { file: string; env: Record<string, string> }>;
  const outDir = process.env.BENCH_OUT_DIR!;
  mkdirSync(outDir, { recursive: true });
  const variants = Object.keys(bundles);
  const eventFiles: Record<string, string> = {};
  for (const variant of variants) {
    if (!REQUESTS[variant]) throw new Error(`no cold-start request for ${variant}`);
    eventFiles[variant] = join(outDir, `cold-${variant}-event.json`);
    writeFileSync(eventFiles[variant]!, JSON.stringify(REQUESTS[variant].event()));
  }
  const uploadMemoryEvent = join(outDir, 'memory-upload-event.json');
  writeFileSync(uploadMemoryEvent, JSON.stringify(uploadEvent(UPLOAD_MEMORY_BYTES, 'memory.bin')));
  // A Lambda-like environment: the function's deployed one (NODE_OPTIONS included), the bench's made-up AWS region and
  // credentials, the local endpoints the stack set, nothing else inherited from this process (no tsx loader).
  const endpoints = ['DYNAMODB_ENDPOINT', 'STEPFUNCTIONS_ENDPOINT', 'STATE_MACHINE_ARN', 'CONTENT_BUCKET', 'S3_ENDPOINT'];
  const names = ['PATH', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', ...endpoints];
  const local = { ...Object.fromEntries(names.map((name) => [name, process.env[name]])), TABLE_NAME: stack.tableName };
  const runOnce = (variant: string, memoryRequests = 0, memoryEvent = '') =>
    new Promise<ColdRun>((resolve, reject) => {
      const expected = REQUESTS[variant]!.status;
      const env = { ...bundles[variant]!.env, ...local, MEMORY_REQUESTS: String(memoryRequests), MEMORY_EVENT: memoryEvent };
      const started = performance.now();
      const child = spawn(process.execPath, [DRIVER, bundles[variant]!.file, eventFiles[variant]!], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let [stdout, stderr] = ['', ''];
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
          const parsed = stdout
            .trim()
            .split('\n')
            .map((text) => JSON.parse(text) as DriverLine & { _aws?: unknown });
          const [line, memoryLine] = parsed.filter((each) => each._aws === undefined) as [DriverLine, DriverLine | undefined];
          if (code !== 0 || answered === undefined || line.statusCode !== expected) throw new Error(`exit ${code}, status ${line.statusCode}`);
          if (Object.keys(memoryLine?.statuses ?? {}).some((status) => Number(status) !== expected))
            throw new Error(`memory requests answered ${JSON.stringify(memoryLine?.statuses)}, expected ${expected}`);
          const { bootMs, importMs, firstRequestMs, maxRssMb } = line;
          resolve({ spawnToResponseMs: answered - started, bootMs, importMs, firstRequestMs, firstMaxRssMb: maxRssMb, maxRssMb: memoryLine?.maxRssMb });
        } catch (error) {
          reject(new Error(`cold start of ${variant} failed (${(error as Error).message}): ${stderr.slice(-2000)} ${stdout.slice(-500)}`));
        }
      });
    });
  // One discarded run of each (file cache), then interleaved runs, the order reversing every round.
  for (const variant of variants) await runOnce(variant);
  const runs = [];
  for (let i = 0; i < RUNS; i++) for (const variant of i % 2 === 0 ? variants : [...variants].reverse()) runs.push({ variant, ...(await runOnce(variant)) });
  const memory: Record<string, number> = {};
  for (const variant of variants) memory[variant] = (await runOnce(variant, MEMORY_REQUESTS)).maxRssMb!;
  const uploadRuns = [];
  for (let i = 0; bundles['upload-version'] && i < UPLOAD_MEMORY_RUNS; i++) {
    const run = await runOnce('upload-version', UPLOAD_MEMORY_REQUESTS, uploadMemoryEvent);
    uploadRuns.push({ coldMaxRssMb: run.firstMaxRssMb, peakMaxRssMb: run.maxRssMb! });
  }
  const requests = Object.fromEntries(variants.map((variant) => [variant, REQUESTS[variant]!.what]));
  return { runs, requests, memory, uploadMemory: { runs: uploadRuns, bytes: UPLOAD_MEMORY_BYTES, uploads: UPLOAD_MEMORY_REQUESTS } };
}

measureOnStack('cold', 3600, measure);
