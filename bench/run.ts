/**
 * `npm run bench`: performance and cost figures of the Builds API, each as a ratio against a floor
 * measured in the same run (the machine is small and noisy: absolute figures mean little), but
 * for phase 8's, a whole toolkit deploy, which has no floor.
 *
 *   1. handler overhead  the create handler in process vs the same two requests made bare
 *   2. round trips       DynamoDB requests per create, counted on the handler's own client
 *   3. bundles, cold init each function bundled as CDK bundles it; a fresh process serving its
 *                        first request, each function vs a one-PutCommand baseline, and the
 *                        `functions` family vs a one-route function serving the same request
 *   4. HTTP load         the local stack under autocannon vs a floor server making the create's
 *                        own requests (and, for the record, a bare-put node:http server)
 *   5. completion lag    201 → `completed`, minus the wait, over 100 builds
 *   6. cost              USD per million builds and Status polls from list prices and the
 *                        stack's real settings, against the design's floor
 *   7. uploads           1 MB and 4 MB version uploads through the local stack vs a bare
 *                        PutObject of the same bytes; the upload function's peak memory (in 3)
 *   8. toolkit deploy    Twilio's toolkit deploying the test project to the local stack (1 s
 *                        build wait): requests per deploy, seconds minus the wait, where the
 *                        time goes (an absolute figure: no floor)
 *   9. API key auth      the Status handler with an API key vs the account's token: extra
 *                        DynamoDB round trips, handler p50 ratio (bench/api-key-auth.json)
 *
 * A fresh DynamoDB Local for every phase but cold init (which reuses the overhead phase's warm
 * one); every phase that needs a local stack runs in its own process (the handlers read their environment once, as on Lambda). Writes bench/results.json
 * (exactly the agreed keys) and bench/cost.json, regenerates the READMEs' figure tables from them
 * (bench/report.ts), prints a table. See bench/README.md.
 *
 * `BENCH_PHASES=cold-init,http` runs some phases only (names in PHASES; `cost` needs `overhead` and
 * `lag`, which it adds): such a partial run writes bench/.out/results.partial.json and leaves the
 * committed figures alone. `BENCH_PHASE_TIMEOUT_SECONDS` bounds the wait for each message of a phase.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { runApiKeyAuthPhase } from './lib/api-key-auth';
import { type BundleResult, bundle, bundleEntries, cdkOutBundleBytes, ONE_ROUTE_FUNCTION, PROJECT_ROOT, readStackBundling, UPLOAD_FLOOR } from './lib/bundle';
import { computeCost, readStackFacts } from './lib/cost';
import { cpuMeter } from './lib/cpu';
import { FIGURES, statusOf, TARGETS } from './lib/figures';
import { killPhases, startPhase } from './lib/ipc';
import { PHASES, type Phase, selectedPhases } from './lib/phases';
import { AUTHORIZATION, BUILDS_PATH, CREATE_FORM } from './lib/seed';
import { median, percentile, round, sleep } from './lib/stats';
import type { ColdBundle, ColdInitResult, ColdRun } from './phases/cold-init';
import type { LagResult } from './phases/completion-lag';
import type { OverheadResult } from './phases/handler-overhead';
import type { HttpFloorReady } from './phases/http-floor';
import type { HttpStackCounts, HttpStackDrained, HttpStackProfile, HttpStackReady } from './phases/http-stack';
import type { DeployResult } from './phases/toolkit-deploy';
import type { UploadSamples } from './phases/upload-client';
import type { UploadBreakdown, UploadStackReady } from './phases/upload-stack';
import { PRICES_AS_OF } from './prices';
import { writeReport } from './report';

const BENCH_DIR = join(PROJECT_ROOT, 'bench');
const OUT_DIR = join(BENCH_DIR, '.out');
const HTTP_CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 16);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const HTTP_ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const HTTP_WARMUP_SECONDS = 2;
const HTTP_FIRST_WARMUP_SECONDS = Number(process.env.BENCH_HTTP_FIRST_WARMUP_SECONDS ?? 5);
const PROFILE_SECONDS = 5;
const UPLOAD_SIZES = { '1mb': 1024 * 1024, '4mb': 4 * 1024 * 1024 } as const;
const UPLOAD_ITERATIONS = Number(process.env.BENCH_UPLOAD_ITERATIONS ?? 20);
const UPLOAD_WARMUP = Number(process.env.BENCH_UPLOAD_WARMUP ?? 3);

const SELECTED = selectedPhases(process.env.BENCH_PHASES);
const PARTIAL = SELECTED.size < PHASES.length;

/** Runs a phase when it is selected (else undefined), logging what it does. */
async function runPhase<T>(phase: Phase, message: string, run: () => Promise<T>): Promise<T | undefined> {
  if (!SELECTED.has(phase)) return undefined;
  log(message);
  return run();
}

/** The bench's verdict on an agreed figure (bench/lib/figures.ts), as the READMEs publish it. */
const verdict = (key: string, results: Record<string, unknown>) => {
  const figure = FIGURES.find((candidate) => candidate.key === key);
  if (!figure) throw new Error(`no agreed figure ${key}`);
  return statusOf(figure, results);
};

const log = (message: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)} s] ${message}`);
const t0 = performance.now();

interface CannonRun {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
}

/** One autocannon run of creates; each response time goes to `latencies` when given. */
function cannon(baseUrl: string, seconds: number, latencies?: number[]): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: `${baseUrl}${BUILDS_PATH}`,
        method: 'POST',
        headers: { authorization: AUTHORIZATION, 'content-type': 'application/x-www-form-urlencoded' },
        body: CREATE_FORM,
        connections: HTTP_CONNECTIONS,
        duration: seconds,
        timeout: 30,
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds: (performance.now() - started) / 1000,
        });
      },
    );
    if (latencies) instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

async function bundles() {
  const options = readStackBundling();
  const outDir = join(OUT_DIR, 'bundles');
  rmSync(outDir, { recursive: true, force: true });
  const results: BundleResult[] = [];
  for (const entry of bundleEntries()) results.push(await bundle(entry.name, entry.entry, outDir, options));
  return { results, options, cdkOut: cdkOutBundleBytes() };
}

async function handlerOverhead(endpoint: string): Promise<OverheadResult> {
  const phase = startPhase('handler-overhead', { BENCH_DYNAMODB_ENDPOINT: endpoint });
  try {
    return await phase.next<OverheadResult>('result');
  } finally {
    await phase.stop();
  }
}

async function coldInit(endpoint: string, bundleFiles: Record<string, ColdBundle>): Promise<ColdInitResult> {
  const phase = startPhase('cold-init', { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_OUT_DIR: OUT_DIR, BENCH_COLD_BUNDLES: JSON.stringify(bundleFiles) });
  try {
    return await phase.next<ColdInitResult>('result');
  } finally {
    await phase.stop();
  }
}

type HttpSide = 'stack' | 'floor' | 'baseline';

/**
 * Phase 4: the stack, the floor and the bare-put baseline under the same autocannon load, each in
 * its own process, rounds interleaved with the order rotating; each side's workflows drained
 * before the next side runs.
 */
async function httpLoad(endpoint: string, javaPid: number | undefined) {
  const stackPhase = startPhase('http-stack', { BENCH_DYNAMODB_ENDPOINT: endpoint });
  const ready = await stackPhase.next<HttpStackReady>('ready');
  const floorPhase = startPhase('http-floor', { BENCH_DYNAMODB_ENDPOINT: endpoint });
  const baselinePhase = startPhase('http-baseline', {
    BENCH_DYNAMODB_ENDPOINT: endpoint,
    BENCH_ITEM_TEMPLATE: JSON.stringify(ready.template),
  });
  try {
    const floor = await floorPhase.next<HttpFloorReady>('ready');
    const baseline = await baselinePhase.next<{ baseUrl: string }>('ready');
    const urls: Record<HttpSide, string> = { stack: ready.baseUrl, floor: floor.baseUrl, baseline: baseline.baseUrl };
    const runs: Record<HttpSide, CannonRun[]> = { stack: [], floor: [], baseline: [] };
    const latencies: Record<HttpSide, number[]> = { stack: [], floor: [], baseline: [] };
    const counts: HttpStackCounts[] = [];
    const drains: HttpStackDrained[] = [];
    // CPU seconds per process during each measured run: this process (autocannon), the server
    // under load, DynamoDB Local's JVM.
    const pids = {
      autocannon: process.pid,
      stack: stackPhase.child.pid,
      floor: floorPhase.child.pid,
      baseline: baselinePhase.child.pid,
      dynamoDbLocal: javaPid,
    };
    const cpu: Record<HttpSide, Record<string, number>[]> = { stack: [], floor: [], baseline: [] };
    const sides: HttpSide[] = ['floor', 'stack', 'baseline'];
    // One warm-up of every side first, so that DynamoDB Local's JIT is not paid by whichever
    // side happens to go first; each measured run has its own short warm-up as well.
    for (const side of sides) {
      await cannon(urls[side], HTTP_FIRST_WARMUP_SECONDS);
      if (side === 'baseline') continue;
      const owner = side === 'floor' ? floorPhase : stackPhase;
      owner.send('drain');
      await owner.next<HttpStackDrained>('drained');
    }
    for (let round = 0; round < HTTP_ROUNDS; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(round + k) % sides.length]!;
        await cannon(urls[side], HTTP_WARMUP_SECONDS);
        if (side === 'stack') {
          stackPhase.send('reset');
          await stackPhase.next('reset');
        }
        const meter = cpuMeter(pids);
        runs[side].push(await cannon(urls[side], HTTP_SECONDS, latencies[side]));
        cpu[side].push(meter.since());
        if (side === 'stack') {
          stackPhase.send('counts');
          counts.push(await stackPhase.next<HttpStackCounts>('counts'));
        }
        // Let this side's workflows finish before the next side runs (the baseline starts none).
        const rate = Math.round(runs[side].at(-1)!.ok / runs[side].at(-1)!.seconds);
        if (side === 'baseline') {
          log(`HTTP round ${round + 1}: baseline ${rate} 2xx/s`);
          continue;
        }
        const owner = side === 'floor' ? floorPhase : stackPhase;
        owner.send('drain');
        const drained = await owner.next<HttpStackDrained>('drained');
        if (side === 'stack') drains.push(drained);
        log(`HTTP round ${round + 1}: ${side} ${rate} 2xx/s, workflows drained in ${Math.round(drained.drainMs)} ms`);
      }
    }
    // A diagnostic run, not counted: the stack process profiled under the same load.
    stackPhase.send('profile', PROFILE_SECONDS);
    await cannon(ready.baseUrl, PROFILE_SECONDS);
    const profile = await stackPhase.next<HttpStackProfile>('profiled');
    stackPhase.send('drain');
    await stackPhase.next<HttpStackDrained>('drained');
    return {
      stackRuns: runs.stack,
      floorRuns: runs.floor,
      baselineRuns: runs.baseline,
      stackLatencies: latencies.stack,
      floorLatencies: latencies.floor,
      baselineLatencies: latencies.baseline,
      floorBatchGetKeys: floor.batchGetKeys,
      counts,
      drains,
      cpu,
      profile,
      buildWaitSeconds: ready.buildWaitSeconds,
    };
  } finally {
    await baselinePhase.stop();
    await floorPhase.stop();
    await stackPhase.stop();
  }
}

interface UploadResult {
  sizes: Record<keyof typeof UPLOAD_SIZES, UploadSamples & { breakdown: UploadBreakdown }>;
}

/** Uploads: the stack in one process, the client timing both sides in another. */
async function uploads(endpoint: string, uploadEnvironment: Record<string, string>): Promise<UploadResult> {
  const stackPhase = startPhase('upload-stack', { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_HANDLER_ENV: JSON.stringify(uploadEnvironment) });
  try {
    const ready = await stackPhase.next<UploadStackReady>('ready');
    const clientPhase = startPhase('upload-client', { BENCH_UPLOAD_TARGET: JSON.stringify(ready) });
    try {
      await clientPhase.next('ready');
      const sizes = {} as UploadResult['sizes'];
      for (const [name, bytes] of Object.entries(UPLOAD_SIZES) as Array<[keyof typeof UPLOAD_SIZES, number]>) {
        clientPhase.send('warmup', { bytes, iterations: UPLOAD_WARMUP });
        await clientPhase.next('warm');
        stackPhase.send('breakdown');
        await stackPhase.next<UploadBreakdown>('breakdown');
        clientPhase.send('measure', { bytes, iterations: UPLOAD_ITERATIONS });
        const samples = await clientPhase.next<UploadSamples>('samples');
        stackPhase.send('breakdown');
        const breakdown = await stackPhase.next<UploadBreakdown>('breakdown');
        if (breakdown.putObjectBytes.some((put) => put !== bytes))
          throw new Error(`the handler put ${breakdown.putObjectBytes.join(', ')} B for ${bytes} B uploads`);
        sizes[name] = { ...samples, breakdown };
        log(`uploads of ${bytes} B: median ${fmt(median(samples.uploadMs), 1)} ms through the stack, ${fmt(median(samples.floorMs), 1)} ms bare PutObject`);
      }
      return { sizes };
    } finally {
      await clientPhase.stop();
    }
  } finally {
    await stackPhase.stop();
  }
}

async function toolkitDeploys(endpoint: string): Promise<DeployResult> {
  const phase = startPhase('toolkit-deploy', { BENCH_DYNAMODB_ENDPOINT: endpoint });
  try {
    return await phase.next<DeployResult>('result');
  } finally {
    await phase.stop();
  }
}

async function completionLag(endpoint: string): Promise<LagResult> {
  const phase = startPhase('completion-lag', { BENCH_DYNAMODB_ENDPOINT: endpoint });
  try {
    return await phase.next<LagResult>('result');
  } finally {
    await phase.stop();
  }
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : String(value));
const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** Phase 8's rows: the two figures, then where a deploy's time goes and what it asks. */
function deployRows(deploys: DeployResult, row: (metric: string, value: string, target?: string, status?: string) => void): void {
  const { runs } = deploys;
  const count = runs.length;
  const wallSeconds = runs.map((run) => run.wallMs / 1000);
  const problems = sum(runs.map((run) => run.problems.length));
  row(
    'deploy_requests',
    `${median(runs.map((run) => run.requests.length))} (each deploy: ${runs.map((run) => run.requests.length).join(', ')})`,
    'all < 300, none retried',
    `met: ${sum(runs.map((run) => run.requests.length))} answers, all 2xx, no retry; spec problems ${problems}; ${deploys.fixture.functions} functions + ${deploys.fixture.assets} asset uploaded`,
  );
  row(
    'deploy_seconds_minus_wait',
    `${fmt(median(wallSeconds) - deploys.buildWaitSeconds, 3)} (median ${fmt(median(wallSeconds), 3)} s − ${deploys.buildWaitSeconds} s wait)`,
    '',
    `${count} deploys of fresh services after 1 warm-up (${fmt(deploys.warmup.wallMs / 1000, 3)} s): ${wallSeconds.map((seconds) => fmt(seconds, 3)).join(', ')} s`,
  );
  // Steps in the order the toolkit emits them; a step repeated (the build's polls) may be in only
  // some deploys: it goes right after the step that precedes it there.
  const labels: string[] = [];
  for (const run of runs) {
    for (const [i, step] of run.steps.entries()) {
      if (!labels.includes(step.label)) labels.splice(i === 0 ? 0 : labels.indexOf(run.steps[i - 1]!.label) + 1, 0, step.label);
    }
  }
  row(`  deploy steps (median ms over the deploys that have the step)`, 'ms', '', 'requests issued in the step');
  for (const label of labels) {
    const steps = runs.flatMap((run) => run.steps.filter((step) => step.label === label));
    const kinds = new Map<string, number>();
    for (const request of steps[0]!.requests) kinds.set(request, (kinds.get(request) ?? 0) + 1);
    row(
      `    ${label}${steps.length < count ? ` [in ${steps.length} of ${count}]` : ''}`,
      fmt(median(steps.map((step) => step.ms)), 1),
      '',
      [...kinds].map(([kind, n]) => `${n > 1 ? `${n} × ` : ''}${kind}`).join(', '),
    );
  }
  const kinds = [...new Set(runs.flatMap((run) => run.timed.map((request) => request.kind)))];
  row(`  requests per deploy, by kind`, 'count', '', 'median ms each (got timings: sent → response ended)');
  for (const kind of kinds) {
    const perDeploy = runs.map((run) => run.timed.filter((request) => request.kind === kind).length);
    const ms = runs.flatMap((run) => run.timed.filter((request) => request.kind === kind).map((request) => request.ms));
    row(
      `    ${kind}`,
      `${median(perDeploy)}${Math.min(...perDeploy) === Math.max(...perDeploy) ? '' : ` (${Math.min(...perDeploy)}–${Math.max(...perDeploy)})`}`,
      '',
      fmt(median(ms), 1),
    );
  }
  type Run = DeployResult['runs'][number];
  const afterCreate = (run: Run, at: number | undefined) => (at === undefined ? Number.NaN : at - run.build.createdAt);
  const build = (pick: (run: Run) => number) => median(runs.map(pick).filter((value) => Number.isFinite(value)));
  const started = build((run) => afterCreate(run, run.build.workflowStartedAt));
  const completed = build((run) => afterCreate(run, run.build.completedAt));
  row(
    '  the build, ms after its 201 (median): workflow started, status completed',
    `${fmt(started, 1)}, ${fmt(completed, 1)}`,
    '',
    `wait ${deploys.buildWaitSeconds * 1000} ms; the toolkit polls Status right after the 201, then 1 s after each answer; 'building' answers cost a 1 s sleep each`,
  );
  for (const [i, run] of runs.entries()) {
    row(
      `    deploy ${i + 1}: completed at / Status answered at (ms after the 201)`,
      `${fmt(afterCreate(run, run.build.completedAt), 0)} / ${run.build.polls.map((poll) => `${fmt(afterCreate(run, poll.at), 0)} ${poll.status}`).join(', ')}`,
    );
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  let dynamoDbLocal: DynamoDbLocal | undefined;
  const stopAll = () => {
    killPhases();
    dynamoDbLocal?.process.kill('SIGKILL');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopAll();
      process.exit(130);
    });
  }
  try {
    log(`phases: ${[...SELECTED].join(', ')}${PARTIAL ? ' (BENCH_PHASES: a partial run writes bench/.out/results.partial.json only)' : ''}`);
    log('reading the stack’s settings (cdk synth, bundling skipped)');
    const stack = await readStackFacts(join(OUT_DIR, 'cdk'));
    // The handlers run with the create function's deployed environment (minus table, endpoints
    // and ARNs, which the local stack sets). A deployed hourly rate limit is raised out of reach,
    // so that the bench is never refused but takes the same code path.
    const excluded = new Set(['TABLE_NAME', 'STATE_MACHINE_ARN', 'DYNAMODB_ENDPOINT', 'STEPFUNCTIONS_ENDPOINT', 'CONTENT_BUCKET', 'S3_ENDPOINT']);
    const withoutLocal = (environment: Record<string, string>) => Object.fromEntries(Object.entries(environment).filter(([name]) => !excluded.has(name)));
    const handlerEnvironment = withoutLocal(stack.createEnvironment);
    const deployedRateLimit = Number(handlerEnvironment.RATE_LIMIT_BUILDS_PER_HOUR ?? 0);
    if (deployedRateLimit > 0) handlerEnvironment.RATE_LIMIT_BUILDS_PER_HOUR = '1000000000';
    process.env.BENCH_HANDLER_ENV = JSON.stringify(handlerEnvironment);
    const environmentOf = (entry: string) => {
      if (entry === 'create-build') return handlerEnvironment;
      const deployed = stack.functions[entry];
      if (!deployed) throw new Error(`no function ${entry} in the synthesized stack`);
      return withoutLocal(deployed.environment);
    };

    const bundled = await runPhase('cold-init', 'bundling every function with the stack’s esbuild options', bundles);
    // Every phase but cold init gets a DynamoDB Local of its own: the emulator slows down as the tables and
    // streams of earlier phases pile up (measured: completion lag p50 97 ms on a fresh one, 1,984 ms
    // after the HTTP phase), which would charge one phase with another's leftovers.
    const freshDynamoDbLocal = async (): Promise<DynamoDbLocal> => {
      await dynamoDbLocal?.stop();
      dynamoDbLocal = await startDynamoDbLocal();
      log(`DynamoDB Local on ${dynamoDbLocal.endpoint}`);
      return dynamoDbLocal;
    };
    const freshEndpoint = async () => (await freshDynamoDbLocal()).endpoint;

    const overhead = await runPhase('overhead', 'phase 1–2: create handler in process vs bare SDK calls, interleaved', async () =>
      handlerOverhead(await freshEndpoint()),
    );

    const coldVariants = ['create-build', 'baseline', 'services', 'functions', ONE_ROUTE_FUNCTION, 'upload-version', UPLOAD_FLOOR];
    // The bench's own variants run as the function they stand for: the one-route function is the
    // `functions` function with one route, the bare upload the upload function.
    const standsFor: Record<string, string> = { [ONE_ROUTE_FUNCTION]: 'functions', [UPLOAD_FLOOR]: 'upload-version' };
    const deployedAs = (variant: string) => standsFor[variant] ?? variant;
    const byName = new Map((bundled?.results ?? []).map((result) => [result.name, result]));
    let cold: ColdInitResult | undefined;
    if (bundled) {
      log(`phase 3: cold init, ${coldVariants.join(', ')}; peak memory`);
      // On the overhead phase's DynamoDB Local, warmed by it: a cold start's first request would
      // otherwise meet the emulator's own cold JVM, which AWS's DynamoDB never is.
      cold = await coldInit(
        dynamoDbLocal?.endpoint ?? (await freshEndpoint()),
        Object.fromEntries(
          coldVariants.map((variant) => [
            variant,
            { file: byName.get(variant)!.file, env: variant === 'baseline' ? handlerEnvironment : environmentOf(deployedAs(variant)) },
          ]),
        ),
      );
    }

    const http = await runPhase(
      'http',
      `phase 4: HTTP load, ${HTTP_CONNECTIONS} connections, ${HTTP_ROUNDS} × ${HTTP_SECONDS} s per side, interleaved`,
      async () => {
        const local = await freshDynamoDbLocal();
        return httpLoad(local.endpoint, local.process.pid);
      },
    );
    const lag = await runPhase('lag', `phase 5: completion lag over ${process.env.BENCH_LAG_BUILDS ?? 100} builds`, async () =>
      completionLag(await freshEndpoint()),
    );
    const upload = await runPhase(
      'uploads',
      `phase 7: uploads of 1 and 4 MB through the local stack vs bare PutObject, ${UPLOAD_ITERATIONS} each, interleaved`,
      async () => uploads(await freshEndpoint(), environmentOf('upload-version')),
    );

    let deploys: DeployResult | undefined;
    if (SELECTED.has('deploy')) {
      log('phase 8: Twilio’s toolkit deploys the test project to the local stack (1 s build wait)');
      deploys = await toolkitDeploys(await freshEndpoint());
      log(
        `toolkit deploys: ${deploys.runs.map((run) => `${fmt(run.wallMs / 1000, 3)} s / ${run.requests.length} requests`).join(', ')} (warm-up ${fmt(deploys.warmup.wallMs / 1000, 3)} s)`,
      );
    }

    const apiKeyAuth = await runPhase('api-key-auth', 'phase 9: API key vs auth token, the Status handler in process, interleaved', async () =>
      runApiKeyAuthPhase(await freshEndpoint()),
    );

    await dynamoDbLocal?.stop();
    dynamoDbLocal = undefined;

    // ---- figures and table, phase by phase ----
    const results: Record<string, unknown> = {};
    const rows: Array<[string, string, string, string]> = [];
    const row = (metric: string, value: string, target = '', status = '') => rows.push([metric, value, target, status]);

    if (overhead) {
      const handlerP50 = percentile(overhead.handlerMs, 50);
      const bareP50 = percentile(overhead.bareMs, 50);
      const handlerP99 = percentile(overhead.handlerMs, 99);
      const bareP99 = percentile(overhead.bareMs, 99);
      const roundTrips = overhead.dynamoDbAttempts / overhead.creates;
      // Per iteration (the two sides ran back to back): steadier than the ratio of the medians,
      // which falls between the two modes the workflows' background work gives each side.
      const pairedDiffs = overhead.handlerMs.map((ms, i) => ms - overhead.bareMs[i]!);
      const pairedRatios = overhead.handlerMs.map((ms, i) => ms / overhead.bareMs[i]!);
      Object.assign(results, {
        handler_overhead_ratio_p50: round(handlerP50 / bareP50, 3),
        handler_overhead_ratio_p99: round(handlerP99 / bareP99, 3),
        handler_overhead_paired_ratio_p50: round(median(pairedRatios), 3),
        handler_overhead_paired_ms_p50: round(median(pairedDiffs), 3),
        dynamodb_round_trips_per_create: round(roundTrips, 3),
        build_item_bytes: overhead.sizes.build_building,
      });
      row(
        'handler_overhead_ratio_p50',
        `${fmt(results.handler_overhead_ratio_p50 as number, 3)} (${fmt(handlerP50)} / ${fmt(bareP50)} ms)`,
        `<= ${TARGETS.handlerOverheadP50}`,
        verdict('handler_overhead_ratio_p50', results),
      );
      row('handler_overhead_ratio_p99', `${fmt(results.handler_overhead_ratio_p99 as number, 3)} (${fmt(handlerP99)} / ${fmt(bareP99)} ms)`);
      row(
        '  per iteration (handler ÷ floor of the same iteration), p50',
        `${fmt(results.handler_overhead_paired_ratio_p50 as number, 3)} (+${fmt(results.handler_overhead_paired_ms_p50 as number, 3)} ms)`,
        '',
        'for the record: the target is on the ratio of the medians',
      );
      row(
        `  floor = BatchGetItem of the same ${overhead.createReadKeys} keys + PutItem (the stream starts the workflow for both)`,
        'handler deployed config',
        '',
        deployedRateLimit > 0 ? `RATE_LIMIT_BUILDS_PER_HOUR ${deployedRateLimit} deployed, 1e9 here (same path, never refused)` : 'no rate limit deployed',
      );
      row(
        `  Status handler vs its bare BatchGetItem (${overhead.statusReadKeys} keys: account, build), p50`,
        `${fmt(median(overhead.statusHandlerMs) / median(overhead.statusBareMs), 3)} (${fmt(median(overhead.statusHandlerMs))} / ${fmt(median(overhead.statusBareMs))} ms)`,
      );
      row(
        'dynamodb_round_trips_per_create',
        `${fmt(roundTrips, 3)} (${Object.entries(overhead.dynamoDbCommands)
          .map(([name, n]) => `${name.replace(/Command$/, '')} ${fmt(n / overhead.creates, 2)}`)
          .join(' + ')})`,
        `<= ${TARGETS.roundTrips}`,
        verdict('dynamodb_round_trips_per_create', results),
      );
      row('  StartExecution per create (counted separately)', fmt(overhead.startExecutionRequests / overhead.creates, 3));
      row(
        'build_item_bytes',
        `${overhead.sizes.build_building} B (${overhead.buildItemAttributes} attributes)`,
        `< ${TARGETS.buildItemBytes}`,
        verdict('build_item_bytes', results),
      );
    }

    if (bundled && cold) {
      const coldOf = (variant: string, sourceMaps: boolean) => cold.runs.filter((run) => run.variant === variant && run.sourceMaps === sourceMaps);
      const coldMedian = (variant: string, sourceMaps: boolean, key: keyof ColdRun) => median(coldOf(variant, sourceMaps).map((run) => run[key] as number));
      const coldRatio = coldMedian('create-build', true, 'spawnToResponseMs') / coldMedian('baseline', true, 'spawnToResponseMs');
      const coldRatioNoMaps = coldMedian('create-build', false, 'spawnToResponseMs') / coldMedian('baseline', false, 'spawnToResponseMs');
      const inBundleBytes = new Set(
        bundleEntries()
          .filter((entry) => entry.inBundleBytes)
          .map((entry) => entry.name),
      );
      const bundleBytes = Object.fromEntries(bundled.results.filter((result) => inBundleBytes.has(result.name)).map((result) => [result.name, result.bytes]));
      const coldMs = (variant: string) => coldMedian(variant, true, 'spawnToResponseMs');
      const coldRatios = Object.fromEntries(
        ['create-build', 'services', 'functions', 'upload-version'].map((variant) => [variant, round(coldMs(variant) / coldMs('baseline'), 3)]),
      );
      const oneRouteBytes = byName.get(ONE_ROUTE_FUNCTION)!.bytes;
      const familyVsOneRoute = {
        bundle_bytes_one_route: oneRouteBytes,
        bundle_ratio: round(bundleBytes.functions! / oneRouteBytes, 3),
        cold_init_ratio: round(coldMs('functions') / coldMs(ONE_ROUTE_FUNCTION), 3),
      };
      const uploadVsItsFloor = round(coldMs('upload-version') / coldMs(UPLOAD_FLOOR), 3);
      const uploadMemoryRatios = cold.uploadMemory.runs.map((run) => run.peakMaxRssMb / run.coldMaxRssMb);
      const uploadMemoryRatio = median(uploadMemoryRatios);
      const uploadMemoryMedian = (key: 'coldMaxRssMb' | 'peakMaxRssMb') => median(cold.uploadMemory.runs.map((run) => run[key]));
      const bundleRatio = bundleBytes['create-build']! / bundleBytes.baseline!;
      Object.assign(results, {
        bundle_bytes: bundleBytes,
        cold_init_ratio: round(coldRatio, 3),
        cold_init_ratio_by_function: coldRatios,
        cold_init_upload_vs_bare_upload: uploadVsItsFloor,
        functions_family_vs_one_route: familyVsOneRoute,
        upload_peak_memory_ratio: round(uploadMemoryRatio, 3),
      });
      row(
        'bundle_bytes.create-build / baseline',
        `${fmt(bundleRatio, 2)} (${bundleBytes['create-build']} / ${bundleBytes.baseline} B)`,
        `<= ${TARGETS.bundleRatio}`,
        met(bundleRatio <= TARGETS.bundleRatio),
      );
      for (const result of bundled.results) {
        const construct = bundleEntries().find((entry) => entry.name === result.name)?.construct ?? '';
        const inCdkOut = bundled.cdkOut.get(construct);
        row(
          `  ${result.name}${inBundleBytes.has(result.name) ? '' : ' (bench only, not in bundle_bytes)'}`,
          `${result.bytes} B (+ map ${result.mapBytes} B)${inCdkOut ? `; cdk.out ${inCdkOut.bytes} B (synth of ${inCdkOut.modified.toISOString().slice(0, 16)})` : ''}`,
          '',
          `top: ${result.byPackage
            .slice(0, 3)
            .map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)} KB`)
            .join(', ')}`,
        );
      }
      row(
        'cold_init_ratio',
        `${fmt(coldRatio, 3)} (${fmt(coldMedian('create-build', true, 'spawnToResponseMs'), 1)} / ${fmt(coldMedian('baseline', true, 'spawnToResponseMs'), 1)} ms)`,
        `<= ${TARGETS.coldInitRatio}`,
        met(coldRatio <= TARGETS.coldInitRatio),
      );
      for (const variant of ['services', 'functions', 'upload-version']) {
        row(
          `cold_init_ratio_by_function.${variant}`,
          `${fmt(coldRatios[variant]!, 3)} (${fmt(coldMs(variant), 1)} / ${fmt(coldMs('baseline'), 1)} ms)`,
          `<= ${TARGETS.coldInitRatio}`,
          `${met(coldRatios[variant]! <= TARGETS.coldInitRatio)}; first request: ${cold.requests[variant]}`,
        );
      }
      for (const variant of coldVariants) {
        row(
          `  ${variant}: boot / import / first request (median ms)`,
          `${fmt(coldMedian(variant, true, 'bootMs'), 1)} / ${fmt(coldMedian(variant, true, 'importMs'), 1)} / ${fmt(coldMedian(variant, true, 'firstRequestMs'), 1)}`,
        );
      }
      row(
        'functions_family_vs_one_route (FetchFunction)',
        `bundle ${fmt(familyVsOneRoute.bundle_ratio, 3)} (${bundleBytes.functions} / ${oneRouteBytes} B), cold init ${fmt(familyVsOneRoute.cold_init_ratio, 3)} (${fmt(coldMs('functions'), 1)} / ${fmt(coldMs(ONE_ROUTE_FUNCTION), 1)} ms)`,
        '',
        `14 routes vs ${ONE_ROUTE_FUNCTION} (bench/one-route-function.ts)`,
      );
      row(
        'cold_init_upload_vs_bare_upload (CreateAssetVersion of 1 KiB)',
        `${fmt(uploadVsItsFloor, 3)} (${fmt(coldMs('upload-version'), 1)} / ${fmt(coldMs(UPLOAD_FLOOR), 1)} ms); bare upload vs baseline ${fmt(coldMs(UPLOAD_FLOOR) / coldMs('baseline'), 3)}`,
        '',
        `for the record: ${UPLOAD_FLOOR} (bench/upload-floor-handler.ts) makes the upload's four requests bare, ${byName.get(UPLOAD_FLOOR)!.bytes} B`,
      );
      const packagesOf = (name: string) => new Map(byName.get(name)!.byPackage);
      const familyPackages = packagesOf('functions');
      const onePackages = packagesOf(ONE_ROUTE_FUNCTION);
      const packageDeltas = [...new Set([...familyPackages.keys(), ...onePackages.keys()])]
        .map((name) => [name, (familyPackages.get(name) ?? 0) - (onePackages.get(name) ?? 0)] as const)
        .filter(([, delta]) => delta !== 0)
        .sort((a, b) => b[1] - a[1]);
      row(
        '  what the 13 other routes add to the bundle',
        `${Math.round((bundleBytes.functions! - oneRouteBytes) / 1024)} KB`,
        '',
        packageDeltas
          .slice(0, 5)
          .map(([name, delta]) => `${name} ${delta > 0 ? '+' : ''}${Math.round(delta / 1024)} KB`)
          .join(', '),
      );
      for (const variant of coldVariants) {
        const memoryMb = variant === 'create-build' ? stack.createMemoryMb : stack.functions[deployedAs(variant)]?.memoryMb;
        row(`  ${variant}: peak memory after 200 requests`, `${fmt(cold.memory[variant]!, 0)} MB`, '', memoryMb ? `Lambda memory ${memoryMb} MB` : '');
      }
      row(
        'upload_peak_memory_ratio (peak RSS, 4 MB uploads / cold start)',
        `${fmt(uploadMemoryRatio, 3)} (${fmt(uploadMemoryMedian('peakMaxRssMb'), 1)} / ${fmt(uploadMemoryMedian('coldMaxRssMb'), 1)} MB)`,
        '',
        `${cold.uploadMemory.uploads} uploads of ${cold.uploadMemory.bytes} B after a ${cold.requests['upload-version']}; ${cold.uploadMemory.runs.length} processes (${uploadMemoryRatios.map((ratio) => fmt(ratio, 3)).join(', ')}); +${fmt((uploadMemoryMedian('peakMaxRssMb') - uploadMemoryMedian('coldMaxRssMb')) / (cold.uploadMemory.bytes / 2 ** 20), 1)} MB per MB of content; Lambda memory ${stack.functions['upload-version']?.memoryMb ?? '?'} MB`,
      );
      row(
        '  cold ratio without --enable-source-maps (diagnostic)',
        `${fmt(coldRatioNoMaps, 3)} (${fmt(coldMedian('create-build', false, 'spawnToResponseMs'), 1)} / ${fmt(coldMedian('baseline', false, 'spawnToResponseMs'), 1)} ms)`,
      );
    }

    if (http) {
      const rateOf = (runs: CannonRun[]) => sum(runs.map((run) => run.ok)) / sum(runs.map((run) => run.seconds));
      const httpRps = rateOf(http.stackRuns);
      const floorRps = rateOf(http.floorRuns);
      const baselineRps = rateOf(http.baselineRuns);
      const httpNon2xx = sum(http.stackRuns.map((run) => run.non2xx + run.errors));
      const floorNon2xx = sum(http.floorRuns.map((run) => run.non2xx + run.errors));
      const httpP99 = percentile(http.stackLatencies, 99);
      const floorP99 = percentile(http.floorLatencies, 99);
      const baselineP99 = percentile(http.baselineLatencies, 99);
      const loadCommands = new Map<string, number>();
      for (const count of http.counts)
        for (const [name, n] of Object.entries(count.dynamoDbCommands)) loadCommands.set(name, (loadCommands.get(name) ?? 0) + n);
      const loadAttempts = sum(http.counts.map((count) => count.dynamoDbAttempts));
      const loadExecutions = sum(http.counts.map((count) => count.executionsStarted));
      const loadLag = http.drains.flatMap((drain) => drain.executionLagMs);
      Object.assign(results, {
        http_ratio: round(httpRps / floorRps, 3),
        http_rps: round(httpRps, 1),
        floor_rps: round(floorRps, 1),
        http_p99_ms: round(httpP99, 1),
        http_non_2xx: httpNon2xx,
        baseline_rps: round(baselineRps, 1),
      });
      row(
        'http_ratio (http_rps / floor_rps)',
        `${fmt(httpRps / floorRps, 3)} (${fmt(httpRps, 1)} / ${fmt(floorRps, 1)} creates/s)`,
        `>= ${TARGETS.httpRatio}`,
        verdict('http_ratio', results),
      );
      row(
        '  floor: bare node:http, same 7-key BatchGetItem + conditional PutItem, own poller + workflow',
        `${http.floorBatchGetKeys} keys`,
        '',
        `floor non-2xx ${floorNon2xx}, p99 ${fmt(floorP99, 1)} ms`,
      );
      row('baseline_rps (one PutItem, for the record)', `${fmt(baselineRps, 1)} creates/s (stack / baseline ${fmt(httpRps / baselineRps, 3)})`);
      row(
        '  under HTTP load: DynamoDB requests per started workflow',
        `${fmt(loadAttempts / Math.max(1, loadExecutions), 3)} (${[...loadCommands].map(([name, n]) => `${name.replace(/Command$/, '')} ${n}`).join(', ')}; ${loadExecutions} executions)`,
      );
      const cpuPerCreate = (side: 'stack' | 'floor' | 'baseline', name: string, runs: CannonRun[]) =>
        (sum(http.cpu[side].map((sample) => sample[name] ?? Number.NaN)) * 1000) / sum(runs.map((run) => run.ok));
      const cpuRows: Array<[string, string, string, string]> = [
        ['server process (stack / floor / bare-put server)', 'stack', 'floor', 'baseline'],
        ['DynamoDB Local JVM', 'dynamoDbLocal', 'dynamoDbLocal', 'dynamoDbLocal'],
        ['autocannon (this process)', 'autocannon', 'autocannon', 'autocannon'],
      ];
      for (const [label, stackName, floorName, baselineName] of cpuRows) {
        row(
          `  CPU ms per create, ${label}`,
          `${fmt(cpuPerCreate('stack', stackName, http.stackRuns), 2)} / ${fmt(cpuPerCreate('floor', floorName, http.floorRuns), 2)} / ${fmt(cpuPerCreate('baseline', baselineName, http.baselineRuns), 2)}`,
        );
      }
      const profileTotal = sum(
        Object.entries(http.profile.categories)
          .filter(([name]) => name !== 'idle')
          .map(([, ms]) => ms),
      );
      row(
        '  stack process CPU per create, by part (profiled run)',
        `${fmt(profileTotal / Math.max(1, http.profile.creates), 2)} ms`,
        '',
        Object.entries(http.profile.categories)
          .filter(([name]) => name !== 'idle')
          .sort((a, b) => b[1] - a[1])
          .map(([name, ms]) => `${name} ${fmt((100 * ms) / profileTotal, 0)}%`)
          .join(', '),
      );
      row('http_p99_ms (floor p99, baseline p99)', `${fmt(httpP99, 1)} (${fmt(floorP99, 1)}, ${fmt(baselineP99, 1)})`);
      row(
        'http_non_2xx',
        `${httpNon2xx} (errors ${sum(http.stackRuns.map((run) => run.errors))}, timeouts ${sum(http.stackRuns.map((run) => run.timeouts))}; floor ${floorNon2xx}; baseline ${sum(http.baselineRuns.map((run) => run.non2xx + run.errors))})`,
        '= 0',
        met(httpNon2xx === 0),
      );
      row(
        `  workflows under load (wait ${http.buildWaitSeconds} s): lag p50 / p99, drain`,
        `${fmt(percentile(loadLag, 50), 0)} / ${fmt(percentile(loadLag, 99), 0)} ms, drained in ${http.drains.map((drain) => Math.round(drain.drainMs)).join(' + ')} ms, failed ${sum(http.drains.map((drain) => drain.failedExecutions))}`,
      );
    }

    if (lag) {
      const lagP50 = percentile(lag.httpLagMs, 50);
      const lagP99 = percentile(lag.httpLagMs, 99);
      Object.assign(results, { completion_lag_p50_ms: round(lagP50, 1), completion_lag_p99_ms: round(lagP99, 1) });
      row('completion_lag_p50_ms', `${fmt(lagP50, 1)} (HTTP poll every ${lag.pollMs} ms; wait ${lag.buildWaitSeconds} s; ${lag.httpLagMs.length} builds)`);
      row('completion_lag_p99_ms', fmt(lagP99, 1), `<= ${TARGETS.completionLagP99Ms}`, verdict('completion_lag_p99_ms', results));
      row(
        '  server side: UpdateItem done − StartExecution − wait, p50 / p99',
        `${fmt(percentile(lag.flipLagMs, 50), 1)} / ${fmt(percentile(lag.flipLagMs, 99), 1)} ms (early completions ${lag.earlyCompletions}, failed ${lag.failed})`,
      );
    }

    if (upload) {
      const uploadRatio = (name: keyof typeof UPLOAD_SIZES) => median(upload.sizes[name].uploadMs) / median(upload.sizes[name].floorMs);
      Object.assign(results, { upload_ratio_1mb: round(uploadRatio('1mb'), 3), upload_ratio_4mb: round(uploadRatio('4mb'), 3) });
      for (const name of Object.keys(UPLOAD_SIZES) as Array<keyof typeof UPLOAD_SIZES>) {
        const sample = upload.sizes[name];
        row(
          `upload_ratio_${name}`,
          `${fmt(uploadRatio(name), 3)} (${fmt(median(sample.uploadMs), 1)} / ${fmt(median(sample.floorMs), 1)} ms)`,
          '',
          `${sample.bytes} B; p90 ${fmt(percentile(sample.uploadMs, 90), 1)} / ${fmt(percentile(sample.floorMs, 90), 1)} ms; ${sample.uploadMs.length} each, interleaved`,
        );
        const commands = Object.entries(sample.breakdown.commandMs);
        const commandsMs = sum(commands.map(([, ms]) => median(ms)));
        row(
          `  ${name}: the handler's requests (median ms each)`,
          commands.map(([command, ms]) => `${command} ${fmt(median(ms), 1)}`).join(' + '),
          '',
          `sum ${fmt(commandsMs, 1)} ms; the rest of the upload (HTTP, event, multipart parse, hash) ${fmt(median(sample.uploadMs) - commandsMs, 1)} ms`,
        );
      }
    }

    if (overhead && lag) {
      const sizes = overhead.sizes;
      const cost = computeCost({
        stack,
        createHandlerMs: median(overhead.handlerMs),
        statusHandlerMs: median(overhead.statusHandlerMs),
        createReadItemBytes: [
          sizes.account!,
          sizes.service!,
          ...Object.entries(sizes)
            .filter(([name]) => name.startsWith('function_version') || name.startsWith('asset_version'))
            .map(([, bytes]) => bytes),
          ...(deployedRateLimit > 0 ? [sizes.rate_counter!] : []),
        ],
        createReadKeys: overhead.createReadKeys,
        statusReadItemBytes: [sizes.account!, Math.max(sizes.build_building!, lag.sizes.build_completed)],
        statusReadKeys: overhead.statusReadKeys,
        buildBytesAtCreate: sizes.build_building!,
        transactionalCreate: overhead.transactionalWrite,
        rateCounterBytes: sizes.rate_counter,
        buildBytesCompleted: lag.sizes.build_completed,
        serviceBytesAfter: lag.sizes.service_after_workflow,
        workflowTaskMs: Math.max(0, median(lag.executionBeyondWaitMs)),
        completionLagMs: Math.max(0, median(lag.httpLagMs)),
        buildEventBytes: lag.sizes.build_event,
      });
      Object.assign(results, {
        cost_per_million_builds_usd: round(cost.deployed.usdPerMillionBuilds, 2),
        cost_floor_per_million_builds_usd: round(cost.floor.usdPerMillionBuilds, 2),
        cost_ratio: round(cost.ratio, 3),
        cost_per_million_status_polls_usd: round(cost.statusPoll.usdPerMillionPolls, 3),
        cost_floor_per_million_status_polls_usd: round(cost.statusPoll.floor.usdPerMillionPolls, 3),
      });
      row(
        `cost_ratio (${cost.deployed.workflowType}, no client polls)`,
        `${fmt(cost.ratio, 3)} ($${fmt(cost.deployed.usdPerMillionBuilds)} / floor $${fmt(cost.floor.usdPerMillionBuilds)} per million builds)`,
        `<= ${TARGETS.costRatio}`,
        verdict('cost_ratio', results),
      );
      for (const line of cost.deployed.lines) row(`  ${line.item}`, `$${fmt(line.usdPerMillion)}`, '', line.quantity);
      for (const line of cost.floor.lines) row(`  floor: ${line.item}`, `$${fmt(line.usdPerMillion)}`, '', line.quantity);
      row(
        'cost_per_million_status_polls_usd',
        `$${fmt(cost.statusPoll.usdPerMillionPolls, 3)} (floor $${fmt(cost.statusPoll.floor.usdPerMillionPolls, 3)})`,
        `<= floor × ${TARGETS.statusPollCostRatio}`,
        verdict('cost_per_million_status_polls_usd', results),
      );
      for (const line of cost.statusPoll.lines) row(`  ${line.item}`, `$${fmt(line.usdPerMillion, 3)}`, '', line.quantity);
      row(`  a build with ${cost.withPolls.polls} Status polls (a deploy tool through the wait)`, `$${fmt(cost.withPolls.usdPerMillionBuilds)}`);
      row(`  same build with a ${cost.other.workflowType} workflow`, `$${fmt(cost.other.usdPerMillionBuilds)}`);
      writeFileSync(PARTIAL ? join(OUT_DIR, 'cost.partial.json') : join(BENCH_DIR, 'cost.json'), `${JSON.stringify(cost, null, 2)}\n`);
    }

    if (deploys) {
      // Phase 8: per deploy, the requests and the wall time; the figure is the median of each.
      Object.assign(results, {
        deploy_requests: median(deploys.runs.map((run) => run.requests.length)),
        deploy_seconds_minus_wait: round(median(deploys.runs.map((run) => run.wallMs)) / 1000 - deploys.buildWaitSeconds, 3),
      });
      deployRows(deploys, row);
    }

    if (apiKeyAuth) {
      writeFileSync(PARTIAL ? join(OUT_DIR, 'api-key-auth.partial.json') : join(BENCH_DIR, 'api-key-auth.json'), `${JSON.stringify(apiKeyAuth, null, 2)}\n`);
      row('api_key_extra_dynamodb_round_trips (bench/api-key-auth.json)', fmt(apiKeyAuth.api_key_extra_dynamodb_round_trips, 3), '<= 1');
      row(
        '  api_key_handler_ratio_p50 / p99 (key / token, Status handler)',
        `${fmt(apiKeyAuth.api_key_handler_ratio_p50, 3)} / ${fmt(apiKeyAuth.api_key_handler_ratio_p99, 3)}`,
      );
    }

    // A full run publishes its figures (and the READMEs' tables from them); a partial one only
    // leaves them in bench/.out, so that the committed figures always come from one whole run.
    writeFileSync(PARTIAL ? join(OUT_DIR, 'results.partial.json') : join(BENCH_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    if (!PARTIAL) writeReport();

    // Raw figures for whoever digs further (not committed).
    writeFileSync(
      join(OUT_DIR, 'details.json'),
      JSON.stringify(
        {
          overhead,
          cold,
          http: http && { ...http, stackLatencies: undefined, baselineLatencies: undefined, floorLatencies: undefined },
          lag,
          upload,
          deploys,
          bundles: bundled,
        },
        null,
        1,
      ),
    );

    const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['metric', 'value', 'target', 'status / notes'][i]!.length));
    const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
    console.log();
    console.log(line(['metric', 'value', 'target', 'status / notes']));
    console.log(line(widths.map((width) => '-'.repeat(width))));
    for (const r of rows) console.log(line(r));
    console.log();
    console.log(
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; bundles: ${bundled?.options.source ?? 'not run'}; stack settings: ${stack.source}; prices: ${PRICES_AS_OF}.`,
    );
    console.log(
      PARTIAL
        ? `Wrote bench/.out/results.partial.json (phases ${[...SELECTED].join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(0)} s; bench/results.json untouched.`
        : `Wrote bench/results.json, bench/cost.json and the READMEs' figure tables in ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    );
  } finally {
    killPhases();
    if (dynamoDbLocal) await dynamoDbLocal.stop();
  }
  // Stray sockets or timers of imported modules (CDK, SDK) must not keep the run alive.
  await sleep(10);
  process.exit(0);
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  killPhases();
  process.exit(1);
});
