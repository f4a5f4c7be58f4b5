/**
 * What a change adds to the create function's cold start: the create function of this checkout
 * against the create function of another git revision (default `main`), both bundled as the
 * stack bundles them and run by phase 3's driver (bench/phases/cold-init.ts), interleaved, with
 * the deployed environment. Not part of `npm run bench`.
 *
 *   npx tsx bench/compare-cold-init.ts [revision]     # adds a run to bench/cold-init-compare.json
 *
 * Each run is added to the file's `runs` while the two commits compared stay the same (a new
 * pair starts the file afresh): on a shared machine one run's ratio is noise-prone, several show it.
 *
 * The other revision's `lambda/` is extracted under bench/.out/ (git archive), so that it
 * resolves this checkout's node_modules: only the handler code differs between the two sides.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { bundle, PROJECT_ROOT, readStackBundling } from './lib/bundle';
import { readStackFacts } from './lib/cost';
import { startPhase } from './lib/ipc';
import { median, round } from './lib/stats';
import type { ColdInitResult } from './phases/cold-init';

const OUT_DIR = join(PROJECT_ROOT, 'bench', '.out');
/** COMPARE_RESULT_FILE (relative to the project) keeps another comparison apart. */
const RESULT_FILE = join(PROJECT_ROOT, process.env.COMPARE_RESULT_FILE ?? join('bench', 'cold-init-compare.json'));

async function main(): Promise<void> {
  const revision = process.argv[2] ?? 'main';
  const commit = execFileSync('git', ['rev-parse', '--short', revision], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
  const otherRoot = join(OUT_DIR, 'compare-src');
  rmSync(otherRoot, { recursive: true, force: true });
  mkdirSync(otherRoot, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${commit} lambda | tar -x -C "${otherRoot}"`], { cwd: PROJECT_ROOT });

  const options = readStackBundling();
  const bundlesDir = join(OUT_DIR, 'compare-bundles');
  const here = await bundle('create-build', join(PROJECT_ROOT, 'lambda', 'handlers', 'create-build.ts'), bundlesDir, options);
  const there = await bundle('other', join(otherRoot, 'lambda', 'handlers', 'create-build.ts'), bundlesDir, options);

  const stack = await readStackFacts(join(OUT_DIR, 'compare-cdk'));
  const excluded = new Set(['TABLE_NAME', 'STATE_MACHINE_ARN', 'DYNAMODB_ENDPOINT', 'STEPFUNCTIONS_ENDPOINT', 'CONTENT_BUCKET', 'S3_ENDPOINT']);
  const env = Object.fromEntries(Object.entries(stack.createEnvironment).filter(([name]) => !excluded.has(name)));
  // Never refused, the same code path (as npm run bench does).
  if (Number(env.RATE_LIMIT_BUILDS_PER_HOUR ?? 0) > 0) env.RATE_LIMIT_BUILDS_PER_HOUR = '1000000000';

  const dynamoDbLocal = await startDynamoDbLocal();
  try {
    // The other revision runs as the phase's `baseline`: it serves the same create request.
    const phase = startPhase('cold-init', {
      BENCH_DYNAMODB_ENDPOINT: dynamoDbLocal.endpoint,
      BENCH_OUT_DIR: OUT_DIR,
      BENCH_HANDLER_ENV: JSON.stringify(env),
      BENCH_COLD_DIAGNOSTIC_VARIANTS: '[]',
      BENCH_COLD_BUNDLES: JSON.stringify({ 'create-build': { file: here.file, env }, baseline: { file: there.file, env } }),
    });
    let result: ColdInitResult;
    try {
      result = await phase.next<ColdInitResult>('result', 600_000);
    } finally {
      await phase.stop();
    }
    const of = (variant: string) => result.runs.filter((run) => run.variant === variant && run.sourceMaps);
    const ms = (variant: string, key: 'spawnToResponseMs' | 'importMs' | 'firstRequestMs') => round(median(of(variant).map((run) => run[key])), 1);
    const summary = {
      what: `create-build cold start at ${head} (this checkout) vs ${commit}, interleaved, ${of('create-build').length} runs each`,
      ratio: round(ms('create-build', 'spawnToResponseMs') / ms('baseline', 'spawnToResponseMs'), 3),
      this: {
        spawn_to_response_ms_p50: ms('create-build', 'spawnToResponseMs'),
        import_ms_p50: ms('create-build', 'importMs'),
        first_request_ms_p50: ms('create-build', 'firstRequestMs'),
        bundle_bytes: here.bytes,
        peak_rss_mb_after_200: round(result.memory['create-build']!, 1),
      },
      other: {
        spawn_to_response_ms_p50: ms('baseline', 'spawnToResponseMs'),
        import_ms_p50: ms('baseline', 'importMs'),
        first_request_ms_p50: ms('baseline', 'firstRequestMs'),
        bundle_bytes: there.bytes,
        peak_rss_mb_after_200: round(result.memory.baseline!, 1),
      },
    };
    const previous = existsSync(RESULT_FILE) ? (JSON.parse(readFileSync(RESULT_FILE, 'utf8')) as { runs?: (typeof summary)[] }).runs : undefined;
    const runs = previous?.every((run) => run.what === summary.what) ? [...previous, summary] : [summary];
    writeFileSync(RESULT_FILE, `${JSON.stringify({ runs }, null, 2)}\n`);
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await dynamoDbLocal.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
