/**
 * The agreed figures of `bench/results.json`: each one's value as published, target ('' for the record), the floor it is
 * measured against (as the bench's code builds it) and whether it is met. The one place targets and verdicts are defined:
 * the table `npm run bench` prints and the ones bench/report.ts writes into docs/performance.md and bench/README.md both
 * come from here, so that a published status is the bench's own verdict.
 */

/** The figures as bench/run.ts writes them to bench/results.json (a partial or older file lacks some). */
export type Results = Record<string, unknown>;

export type Figure = { key: string; value(results: Results): string; target: string; met?(results: Results): boolean; floor: string };

/** The targets of issue 14 (and of the first round where unchanged). */
export const TARGETS = {
  handlerOverheadP50: 1.1,
  roundTrips: 2,
  buildItemBytes: 1024,
  coldInitRatio: 1.3,
  bundleRatio: 2,
  httpRatio: 0.8,
  completionLagP99Ms: 500,
  costRatio: 1.1,
  statusPollCostRatio: 1.1,
} as const;

const num = (results: Results, key: string): number => (typeof results[key] === 'number' ? results[key] : Number.NaN);
const has = (results: Results, ...keys: string[]) => keys.every((key) => results[key] !== undefined);
const usd = (value: number) => `$${value.toFixed(2)}`;
const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const bundle = (results: Results, name: string) => (results.bundle_bytes as Record<string, number> | undefined)?.[name] ?? Number.NaN;
const bundleRatio = (results: Results) => bundle(results, 'create-build') / bundle(results, 'baseline');
const coldRatios = (results: Results) => Object.entries((results.cold_init_ratio_by_function ?? {}) as Record<string, number>);

/** The seven keys of the create's BatchGetItem, as bench/lib/seed.ts's createContextKeys lists them. */
const SEVEN_KEYS = 'the account, the service, 2 function versions, 2 asset versions, the hour’s build count';

export const FIGURES: Figure[] = [
  {
    key: 'handler_overhead_ratio_p50',
    value: (r) =>
      `${num(r, 'handler_overhead_ratio_p50')} (p99 ${num(r, 'handler_overhead_ratio_p99')}${has(r, 'handler_overhead_paired_ratio_p50') ? `; per iteration ${num(r, 'handler_overhead_paired_ratio_p50')}, +${num(r, 'handler_overhead_paired_ms_p50')} ms` : ''})`,
    target: `≤ ${TARGETS.handlerOverheadP50}`,
    met: (r) => num(r, 'handler_overhead_ratio_p50') <= TARGETS.handlerOverheadP50,
    floor: `in the same process, interleaved: one BatchGetItem of the same seven keys (${SEVEN_KEYS}) + one conditional PutItem of a copy of the build the handler wrote, bare SDK; both sides' builds start their workflow from the stream (1 h wait), so CountBuild's UpdateItem runs during the measurement on both sides`,
  },
  {
    key: 'dynamodb_round_trips_per_create',
    value: (r) => String(num(r, 'dynamodb_round_trips_per_create')),
    target: `≤ ${TARGETS.roundTrips}`,
    met: (r) => num(r, 'dynamodb_round_trips_per_create') <= TARGETS.roundTrips,
    floor: 'a count of HTTP attempts on the handler’s own DynamoDB client (BatchGetItem + PutItem; the stream starts the workflow)',
  },
  {
    key: 'build_item_bytes',
    value: (r) => `${num(r, 'build_item_bytes')} B`,
    target: `< ${TARGETS.buildItemBytes} B`,
    met: (r) => num(r, 'build_item_bytes') < TARGETS.buildItemBytes,
    floor:
      'DynamoDB’s item size rules on the item the create wrote for the seed’s build (2 function versions, 2 asset versions, 2 dependencies): 1 KB is one write unit',
  },
  {
    key: 'bundle_bytes',
    value: (r) => `create-build ${kb(bundle(r, 'create-build'))} / baseline ${kb(bundle(r, 'baseline'))} = ${bundleRatio(r).toFixed(3)}`,
    target: `≤ ${TARGETS.bundleRatio} ×`,
    met: (r) => bundleRatio(r) <= TARGETS.bundleRatio,
    floor: 'bench/baseline-handler.ts (a DynamoDBDocumentClient and one PutCommand) bundled with the stack’s esbuild options, the SDK bundled',
  },
  {
    key: 'cold_init_ratio_by_function',
    value: (r) =>
      coldRatios(r)
        .map(([name, ratio]) => `${name} ${ratio}`)
        .join('; ') + (has(r, 'cold_init_upload_vs_bare_upload') ? ` (upload-version ÷ the bare upload: ${num(r, 'cold_init_upload_vs_bare_upload')})` : ''),
    target: `each ≤ ${TARGETS.coldInitRatio}`,
    met: (r) => coldRatios(r).length > 0 && coldRatios(r).every(([, ratio]) => ratio <= TARGETS.coldInitRatio),
    floor:
      'the baseline bundle’s cold start: a fresh node importing it and serving one PutItem (spawn to response, median, interleaved); for the record, the upload also against bench/upload-floor-handler.ts, its four requests made bare',
  },
  {
    key: 'http_ratio',
    value: (r) => `${num(r, 'http_ratio')} (${num(r, 'http_rps')} / ${num(r, 'floor_rps')} creates/s; non-2xx ${num(r, 'http_non_2xx')})`,
    target: `≥ ${TARGETS.httpRatio}, 0 non-2xx`,
    met: (r) => num(r, 'http_ratio') >= TARGETS.httpRatio && num(r, 'http_non_2xx') === 0,
    floor: `bench/phases/http-floor.ts: node:http, no framework; per create one BatchGetItem of the same seven keys and one conditional PutItem of a build built by newBuild, 201 with the item; its own seeded table on the same DynamoDB Local, with the stream poller and workflow runner in its process as the stack has them`,
  },
  {
    key: 'baseline_rps',
    value: (r) => `${num(r, 'baseline_rps')} creates/s (stack ${num(r, 'http_rps')}, p99 ${num(r, 'http_p99_ms')} ms)`,
    target: '',
    floor:
      'for the record: a node:http server making one conditional PutItem of a build-sized item into a table of its own on the same DynamoDB Local (no stream reader, no workflow)',
  },
  {
    key: 'completion_lag_p99_ms',
    value: (r) => `${num(r, 'completion_lag_p99_ms')} ms (p50 ${num(r, 'completion_lag_p50_ms')})`,
    target: `≤ ${TARGETS.completionLagP99Ms} ms`,
    met: (r) => num(r, 'completion_lag_p99_ms') <= TARGETS.completionLagP99Ms,
    floor: 'none: first `completed` seen over HTTP (polled every 20 ms) − the 201 − the 2 s wait, 100 builds',
  },
  {
    key: 'cost_ratio',
    value: (r) =>
      `${num(r, 'cost_ratio')} (${usd(num(r, 'cost_per_million_builds_usd'))} / ${usd(num(r, 'cost_floor_per_million_builds_usd'))} per million builds)`,
    target: `≤ ${TARGETS.costRatio}`,
    met: (r) => num(r, 'cost_ratio') <= TARGETS.costRatio,
    floor:
      'cost_floor_per_million_builds_usd: one API request, one Lambda invocation at 1 ms, eventually consistent reads of the seven items a create reads, 2 WRU (the ≤ 1 KB build, its completing update), one Pipes request + one stream read, one Express execution of exactly the configured wait at 64 MB, and the build’s event at its least (one Pipes request + one stream read, one Express execution of 100 ms at 64 MB, one strongly consistent read, one custom event); both without client polls',
  },
  {
    key: 'cost_per_million_status_polls_usd',
    value: (r) => `${usd(num(r, 'cost_per_million_status_polls_usd'))} (floor ${usd(num(r, 'cost_floor_per_million_status_polls_usd'))})`,
    target: `≤ floor × ${TARGETS.statusPollCostRatio}`,
    met: (r) => num(r, 'cost_per_million_status_polls_usd') <= num(r, 'cost_floor_per_million_status_polls_usd') * TARGETS.statusPollCostRatio,
    floor: 'one API request + one Lambda invocation at 1 ms + one eventually consistent read of one item',
  },
  {
    key: 'upload_ratio_1mb',
    value: (r) => `${num(r, 'upload_ratio_1mb')} / ${num(r, 'upload_ratio_4mb')} (1 MiB / 4 MiB); peak memory ${num(r, 'upload_peak_memory_ratio')}`,
    target: '',
    floor:
      'the same bytes put bare into the same S3 server by the handler’s own ContentStore.put, SHA-256 inside the timer; peak memory against the same process after its cold start',
  },
  {
    key: 'deploy_seconds_minus_wait',
    value: (r) => `${num(r, 'deploy_seconds_minus_wait')} s, ${num(r, 'deploy_requests')} requests (all 2xx, none retried, or the bench fails)`,
    target: '',
    floor: 'none: Twilio’s toolkit deployLocalProject of test/fixtures/toolkit-project, median of 5, minus the 1 s build wait',
  },
];

/** `met`, `MISSED`, '' (no target) or `not measured` (a key missing from the results), as the bench prints it. */
export function statusOf(figure: Figure, results: Results): string {
  if (!has(results, figure.key)) return 'not measured';
  if (!figure.met) return '';
  return figure.met(results) ? 'met' : 'MISSED';
}
