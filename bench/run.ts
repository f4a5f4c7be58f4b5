/**
 * `npm run bench`: the Builds API's performance and cost figures, each a ratio against a floor measured in the same run,
 * interleaved (the machine is small and shared: absolute figures mean little), but for the toolkit deploy's, which has no
 * floor. Each phase (bench/lib/phases.ts) runs in a process of its own (`withPhase`), as the handlers read their environment
 * once, as on Lambda. A full run writes bench/results.json, cost.json, api-key-auth.json and the tables of docs/performance.md,
 * docs/cost.md and bench/README.md (bench/report.ts); a partial one (BENCH_PHASES) writes bench/.out/*.partial.json only, so
 * that committed figures always come from one whole run.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { type DynamoDbLocal, startDynamoDbLocal } from '../local/dynamodb-local';
import { bundle, bundleEntries, ONE_ROUTE_FUNCTION, PROJECT_ROOT, readStackBundling, UPLOAD_FLOOR } from './lib/bundle';
import { computeCost, readStackFacts } from './lib/cost';
import { killPhases, type PhaseProcess, withPhase } from './lib/ipc';
import { PHASES, type Phase, selectedPhases } from './lib/phases';
import { AUTHORIZATION, BUILDS_PATH, CREATE_FORM } from './lib/seed';
import { median, percentile, round, sleep } from './lib/stats';
import type { ApiKeyAuthFigures } from './phases/api-key-auth';
import type { ColdInitResult } from './phases/cold-init';
import type { LagResult } from './phases/completion-lag';
import type { OverheadResult } from './phases/handler-overhead';
import type { StackReady } from './phases/stack';
import type { DeployResult } from './phases/toolkit-deploy';
import type { UploadSamples } from './phases/upload-client';
import { PRICES_AS_OF } from './prices';
import { figuresTable, writeReport } from './report';

const BENCH_DIR = join(PROJECT_ROOT, 'bench');
const OUT_DIR = join(BENCH_DIR, '.out');
const HTTP_CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 16);
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const HTTP_ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 2);
const HTTP_WARMUP_SECONDS = 2;
const HTTP_FIRST_WARMUP_SECONDS = Number(process.env.BENCH_HTTP_FIRST_WARMUP_SECONDS ?? 5);
const UPLOAD_SIZES = { '1mb': 1024 * 1024, '4mb': 4 * 1024 * 1024 } as const;
const UPLOAD_ITERATIONS = Number(process.env.BENCH_UPLOAD_ITERATIONS ?? 20);
const UPLOAD_WARMUP = Number(process.env.BENCH_UPLOAD_WARMUP ?? 3);
const COLD_VARIANTS = ['create-build', 'baseline', 'services', 'functions', ONE_ROUTE_FUNCTION, 'upload-version', UPLOAD_FLOOR];
/** The bench's own cold-start variants run as the function they stand for. */
const STANDS_FOR: Record<string, string> = { [ONE_ROUTE_FUNCTION]: 'functions', [UPLOAD_FLOOR]: 'upload-version' };
/** Set by the local stack, not taken from the synthesized functions. */
const LOCAL_VARIABLES = new Set(['TABLE_NAME', 'STATE_MACHINE_ARN', 'DYNAMODB_ENDPOINT', 'STEPFUNCTIONS_ENDPOINT', 'CONTENT_BUCKET', 'S3_ENDPOINT']);

const SELECTED = selectedPhases(process.env.BENCH_PHASES);
const PARTIAL = SELECTED.size < PHASES.length;
const t0 = performance.now();
const log = (message: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)} s] ${message}`);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const ms = (values: number[]) => `${median(values).toFixed(1)} ms`;
const outputFile = (name: string) => (PARTIAL ? join(OUT_DIR, `${name}.partial.json`) : join(BENCH_DIR, `${name}.json`));
const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

type CannonRun = { ok: number; non2xx: number; errors: number; seconds: number };
type HttpSide = 'stack' | 'floor' | 'baseline';
const rateOf = (runs: CannonRun[]) => sum(runs.map((run) => run.ok)) / sum(runs.map((run) => run.seconds));

/** One autocannon run of creates; each response time goes to `latencies` when given. */
function cannon(baseUrl: string, seconds: number, latencies?: number[]): Promise<CannonRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers = { authorization: AUTHORIZATION, 'content-type': 'application/x-www-form-urlencoded' };
    const options = { url: `${baseUrl}${BUILDS_PATH}`, method: 'POST' as const, headers, body: CREATE_FORM, connections: HTTP_CONNECTIONS, timeout: 30 };
    const instance = autocannon({ ...options, duration: seconds }, (error, result) => {
      if (error) return reject(error);
      resolve({ ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, seconds: (performance.now() - started) / 1000 });
    });
    if (latencies) instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/**
 * Phase 4: the stack, the floor and the bare-put baseline under the same load, each in its own process; one warm-up of
 * every side first (so that DynamoDB Local's JIT is not paid by whichever goes first), then rounds with the order
 * rotating, each side's workflows drained before the next side runs (the baseline starts none).
 */
function httpLoad(endpoint: string) {
  return withPhase('stack', { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_SIDE: 'http' }, async (stack) => {
    const ready = await stack.next<StackReady>('ready');
    const env = { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_ITEM_TEMPLATE: JSON.stringify(ready.template) };
    return withPhase('http-floor', { ...env, BENCH_SIDE: 'floor' }, (floor) =>
      withPhase('http-floor', { ...env, BENCH_SIDE: 'baseline' }, async (baseline) => {
        const url = async (phase: PhaseProcess) => (await phase.next<{ baseUrl: string }>('ready')).baseUrl;
        const urls: Record<HttpSide, string> = { stack: ready.baseUrl, floor: await url(floor), baseline: await url(baseline) };
        const runs: Record<HttpSide, CannonRun[]> = { stack: [], floor: [], baseline: [] };
        const latencies: Record<HttpSide, number[]> = { stack: [], floor: [], baseline: [] };
        const drain = (side: HttpSide) => (side === 'baseline' ? undefined : (side === 'stack' ? stack : floor).ask<{ drainMs: number }>('drain', 'drained'));
        const sides: HttpSide[] = ['floor', 'stack', 'baseline'];
        for (const side of sides) {
          await cannon(urls[side], HTTP_FIRST_WARMUP_SECONDS);
          await drain(side);
        }
        for (let round = 0; round < HTTP_ROUNDS; round++) {
          for (let k = 0; k < sides.length; k++) {
            const side = sides[(round + k) % sides.length]!;
            await cannon(urls[side], HTTP_WARMUP_SECONDS);
            runs[side].push(await cannon(urls[side], HTTP_SECONDS, latencies[side]));
            const drainMs = (await drain(side))?.drainMs;
            log(`HTTP round ${round + 1}: ${side} ${Math.round(rateOf(runs[side].slice(-1)))} 2xx/s${drainMs ? `, drained in ${Math.round(drainMs)} ms` : ''}`);
          }
        }
        return { runs, latencies };
      }),
    );
  });
}

/** Phase 7: the stack in one process, the client timing both sides in another, one size at a time. */
async function uploads(endpoint: string, handlerEnvironment: Record<string, string>) {
  const sizes = {} as Record<keyof typeof UPLOAD_SIZES, UploadSamples>;
  const env = { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_SIDE: 'uploads', BENCH_HANDLER_ENV: JSON.stringify(handlerEnvironment) };
  await withPhase('stack', env, async (stack) => {
    const target = JSON.stringify(await stack.next<StackReady>('ready'));
    await withPhase('upload-client', { BENCH_UPLOAD_TARGET: target }, async (client) => {
      await client.next('ready');
      for (const [name, bytes] of Object.entries(UPLOAD_SIZES) as Array<[keyof typeof UPLOAD_SIZES, number]>) {
        sizes[name] = await client.ask<UploadSamples>('measure', 'samples', { bytes, iterations: UPLOAD_ITERATIONS, warmup: UPLOAD_WARMUP });
        log(`uploads of ${bytes} B: median ${ms(sizes[name].uploadMs)} through the stack, ${ms(sizes[name].floorMs)} bare PutObject`);
      }
    });
  });
  return sizes;
}

async function main(): Promise<void> {
  mkdirSync(OUT_DIR, { recursive: true });
  let dynamoDbLocal: DynamoDbLocal | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killPhases();
      dynamoDbLocal?.process.kill('SIGKILL');
      process.exit(130);
    });
  }
  try {
    log(`phases: ${[...SELECTED].join(', ')}${PARTIAL ? ' (a partial run: bench/.out/*.partial.json only)' : ''}; reading the stack’s settings (cdk synth)`);
    const stack = await readStackFacts(join(OUT_DIR, 'cdk'));
    // Each function's deployed environment, minus what the local stack sets; a deployed hourly rate limit raised out of
    // reach, so that the bench is never refused but takes the same code path.
    const withoutLocal = (environment: Record<string, string>) =>
      Object.fromEntries(Object.entries(environment).filter(([name]) => !LOCAL_VARIABLES.has(name)));
    const handlerEnvironment = withoutLocal(stack.createEnvironment);
    const deployedRateLimit = Number(handlerEnvironment.RATE_LIMIT_BUILDS_PER_HOUR ?? 0);
    if (deployedRateLimit > 0) handlerEnvironment.RATE_LIMIT_BUILDS_PER_HOUR = '1000000000';
    process.env.BENCH_HANDLER_ENV = JSON.stringify(handlerEnvironment);
    const environmentOf = (entry: string) => {
      if (entry === 'create-build') return handlerEnvironment;
      if (!stack.functions[entry]) throw new Error(`no function ${entry} in the synthesized stack`);
      return withoutLocal(stack.functions[entry].environment);
    };
    // The emulator slows down as earlier phases' tables and streams pile up (completion lag p50 97 ms on a fresh one,
    // 1,984 ms after the HTTP phase): a fresh one for every phase but cold init.
    const freshEndpoint = async () => {
      await dynamoDbLocal?.stop();
      dynamoDbLocal = await startDynamoDbLocal();
      log(`DynamoDB Local on ${dynamoDbLocal.endpoint}`);
      return dynamoDbLocal.endpoint;
    };
    const run = async <T>(phase: Phase, message: string, measure: () => Promise<T>) => {
      if (!SELECTED.has(phase)) return undefined;
      log(message);
      return measure();
    };
    /** A phase that measures on a fresh DynamoDB Local and sends one result. */
    const runOnFresh = <T>(phase: Phase, message: string, file: string) =>
      run(phase, message, async () => withPhase<T>(file, { BENCH_DYNAMODB_ENDPOINT: await freshEndpoint() }));
    const bundled = await run('cold-init', 'bundling every function with the stack’s esbuild options', async () => {
      const options = await readStackBundling();
      rmSync(join(OUT_DIR, 'bundles'), { recursive: true, force: true });
      const results = [];
      for (const entry of bundleEntries()) results.push({ ...(await bundle(entry.name, entry.entry, join(OUT_DIR, 'bundles'), options)), ...entry });
      return results;
    });
    const bundleOf = (name: string) => bundled?.find((result) => result.name === name);
    const overhead = await runOnFresh<OverheadResult>('overhead', 'phases 1–2: create handler in process vs bare SDK calls, interleaved', 'handler-overhead');
    // On the overhead phase's DynamoDB Local, warm: a first request would otherwise meet the emulator's cold JVM.
    const cold = await run('cold-init', `phase 3: cold init, ${COLD_VARIANTS.join(', ')}; peak memory`, async () => {
      const env = (variant: string) => (variant === 'baseline' ? handlerEnvironment : environmentOf(STANDS_FOR[variant] ?? variant));
      const bundles = Object.fromEntries(COLD_VARIANTS.map((variant) => [variant, { file: bundleOf(variant)!.file, env: env(variant) }]));
      const endpoint = dynamoDbLocal?.endpoint ?? (await freshEndpoint());
      return withPhase<ColdInitResult>('cold-init', { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_OUT_DIR: OUT_DIR, BENCH_COLD_BUNDLES: JSON.stringify(bundles) });
    });
    const http = await run('http', `phase 4: HTTP load, ${HTTP_CONNECTIONS} connections, ${HTTP_ROUNDS} × ${HTTP_SECONDS} s per side`, async () =>
      httpLoad(await freshEndpoint()),
    );
    const lag = await runOnFresh<LagResult>('lag', `phase 5: completion lag over ${process.env.BENCH_LAG_BUILDS ?? 100} builds`, 'completion-lag');
    const upload = await run('uploads', `phase 7: uploads of 1 and 4 MB through the local stack vs bare PutObject`, async () =>
      uploads(await freshEndpoint(), environmentOf('upload-version')),
    );
    const deploys = await runOnFresh<DeployResult>('deploy', 'phase 8: Twilio’s toolkit deploys the test project (1 s build wait)', 'toolkit-deploy');
    const apiKeyAuth = await runOnFresh<ApiKeyAuthFigures>('api-key-auth', 'phase 9: API key vs auth token, the Status handler in process', 'api-key-auth');
    await dynamoDbLocal?.stop();
    dynamoDbLocal = undefined;
    // The agreed figures (bench/lib/figures.ts); every raw sample goes to bench/.out/details.json.
    const results: Record<string, unknown> = {};
    if (overhead) {
      const { handlerMs, bareMs } = overhead;
      Object.assign(results, {
        handler_overhead_ratio_p50: round(percentile(handlerMs, 50) / percentile(bareMs, 50), 3),
        handler_overhead_ratio_p99: round(percentile(handlerMs, 99) / percentile(bareMs, 99), 3),
        // Per iteration (the sides run back to back): steadier than the ratio of the medians, which falls between the two
        // modes the workflows' background work gives each side.
        handler_overhead_paired_ratio_p50: round(median(handlerMs.map((value, i) => value / bareMs[i]!)), 3),
        handler_overhead_paired_ms_p50: round(median(handlerMs.map((value, i) => value - bareMs[i]!)), 3),
        dynamodb_round_trips_per_create: round(overhead.roundTripsPerCreate, 3),
        build_item_bytes: overhead.sizes.build_building,
      });
    }
    if (bundled && cold) {
      const coldMs = (variant: string) => median(cold.runs.filter((run) => run.variant === variant).map((run) => run.spawnToResponseMs));
      const bundleBytes = Object.fromEntries(bundled.filter((result) => result.inBundleBytes).map((result) => [result.name, result.bytes]));
      const oneRouteBytes = bundleOf(ONE_ROUTE_FUNCTION)!.bytes;
      Object.assign(results, {
        bundle_bytes: bundleBytes,
        cold_init_ratio: round(coldMs('create-build') / coldMs('baseline'), 3),
        cold_init_ratio_by_function: Object.fromEntries(
          ['create-build', 'services', 'functions', 'upload-version'].map((variant) => [variant, round(coldMs(variant) / coldMs('baseline'), 3)]),
        ),
        cold_init_upload_vs_bare_upload: round(coldMs('upload-version') / coldMs(UPLOAD_FLOOR), 3),
        functions_family_vs_one_route: {
          bundle_bytes_one_route: oneRouteBytes,
          bundle_ratio: round(bundleBytes.functions! / oneRouteBytes, 3),
          cold_init_ratio: round(coldMs('functions') / coldMs(ONE_ROUTE_FUNCTION), 3),
        },
        upload_peak_memory_ratio: round(median(cold.uploadMemory.runs.map((run) => run.peakMaxRssMb / run.coldMaxRssMb)), 3),
      });
    }
    if (http) {
      const { runs, latencies } = http;
      const failures = (side: HttpSide) => sum(runs[side].map((run) => run.non2xx + run.errors));
      Object.assign(results, {
        http_ratio: round(rateOf(runs.stack) / rateOf(runs.floor), 3),
        http_rps: round(rateOf(runs.stack), 1),
        floor_rps: round(rateOf(runs.floor), 1),
        http_p99_ms: round(percentile(latencies.stack, 99), 1),
        http_non_2xx: failures('stack'),
        baseline_rps: round(rateOf(runs.baseline), 1),
      });
    }
    if (lag) {
      const lagMs = (p: number) => round(percentile(lag.httpLagMs, p), 1);
      Object.assign(results, { completion_lag_p50_ms: lagMs(50), completion_lag_p99_ms: lagMs(99) });
    }
    if (upload) {
      const uploadRatio = (name: keyof typeof UPLOAD_SIZES) => round(median(upload[name].uploadMs) / median(upload[name].floorMs), 3);
      Object.assign(results, { upload_ratio_1mb: uploadRatio('1mb'), upload_ratio_4mb: uploadRatio('4mb') });
    }
    if (overhead && lag) {
      const { sizes } = overhead;
      const versions = Object.entries(sizes).filter(([name]) => name.startsWith('function_version') || name.startsWith('asset_version'));
      const cost = computeCost({
        stack,
        createHandlerMs: median(overhead.handlerMs),
        statusHandlerMs: median(overhead.statusHandlerMs),
        createReadItemBytes: [sizes.account!, sizes.service!, ...versions.map(([, bytes]) => bytes), ...(deployedRateLimit > 0 ? [sizes.rate_counter!] : [])],
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
      writeJson(outputFile('cost'), cost);
    }
    if (deploys) {
      const { runs } = deploys;
      Object.assign(results, {
        deploy_requests: median(runs.map((run) => run.requests.length)),
        deploy_seconds_minus_wait: round(median(runs.map((run) => run.wallMs)) / 1000 - deploys.buildWaitSeconds, 3),
      });
    }
    if (apiKeyAuth) writeJson(outputFile('api-key-auth'), apiKeyAuth);
    writeJson(outputFile('results'), results);
    if (!PARTIAL) writeReport();
    const details = { overhead, cold, http: http && { ...http, latencies: undefined }, lag, upload, deploys, bundles: bundled };
    writeFileSync(join(OUT_DIR, 'details.json'), JSON.stringify(details, null, 1));
    console.log(`\n${figuresTable(results, false)}\n`);
    if (apiKeyAuth) console.log(`API key vs token (bench/api-key-auth.json): ${JSON.stringify(apiKeyAuth)}\n`);
    console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; stack: ${stack.source}; prices: ${PRICES_AS_OF}.`);
    const wrote = PARTIAL ? `bench/.out/*.partial.json (phases ${[...SELECTED].join(', ')})` : 'bench/{results,cost,api-key-auth}.json and the tables';
    console.log(`Wrote ${wrote} in ${((performance.now() - t0) / 1000).toFixed(0)} s.`);
  } finally {
    killPhases();
    await dynamoDbLocal?.stop();
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
