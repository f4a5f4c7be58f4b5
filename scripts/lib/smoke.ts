import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type OpenApiSpec, UPLOAD_RESPONSE_SCHEMAS } from './openapi';

/**
 * The smoke test of a deployed stack (run by scripts/smoke.ts): what a deploy does, over plain
 * HTTP, every answer checked against Twilio's OpenAPI spec, then everything it made deleted.
 */

export interface SmokeCredentials {
  /** The account the resources are made in (AC…). */
  accountSid: string;
  /** The Basic username: the account SID with its auth token, or an API key's SID (SK…). */
  username: string;
  /** The auth token or the API key's secret. */
  password: string;
}

export interface SmokeOptions {
  /** The API's base URL (the stack's `ApiUrl`), without a trailing slash. */
  url: string;
  /** Where version uploads go (Twilio's upload host); the same as `url` on this API. */
  uploadUrl: string;
  credentials: SmokeCredentials;
  spec: OpenApiSpec;
  /** How long the build may stay `building`. */
  buildTimeoutSeconds: number;
  /** The unique name of the service it creates (default: `smoke-` and a random suffix). */
  uniqueName?: string;
  /** Aborts the run; the cleanup still runs after it. */
  signal?: AbortSignal;
  /** Called with each step's result as soon as it is known. */
  onStep?: (step: StepResult) => void;
}

export interface StepResult {
  name: string;
  outcome: 'passed' | 'failed' | 'skipped';
  /** What it made or found (passed), or why it failed. */
  detail: string;
  /** The HTTP statuses the step got, in order. */
  statuses: number[];
  ms: number;
}

/** The steps, in the order they run; `cleanup` runs after any of the others failed too. */
export const STEP_NAMES = [
  'create service',
  'create function',
  'create asset',
  'upload function version',
  'upload asset version',
  'fetch function version',
  'fetch function version content',
  'fetch asset version',
  'create build',
  'wait for build',
  'fetch build',
  'create environment',
  'deploy build',
  'fetch environment',
  'cleanup',
] as const;

export type StepName = (typeof STEP_NAMES)[number];

/** How often the build's Status is polled, as Twilio's serverless toolkit does. */
const POLL_INTERVAL_MS = 1000;
/** How long one request may take before the step fails. */
const REQUEST_TIMEOUT_MS = 30_000;
/** The runtime the build asks for: the last one the spec's `build_enum_runtime` lists. */
const RUNTIME = 'node22';

/** A step's reason to fail. */
class StepFailure extends Error {}

/** Failures that happen before a request can reach the server: it cannot have changed anything. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** A request that got no answer; `notSent` when it cannot have reached the server. */
class NoAnswer extends StepFailure {
  constructor(
    message: string,
    readonly notSent: boolean,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

type Body = Record<string, unknown>;

/** A random service unique name: letters, digits and dashes, as the API requires, well under 50. */
export const smokeUniqueName = (): string => `smoke-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;

const authorization = ({ username, password }: SmokeCredentials): string => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const describeFailure = (error: unknown): string => {
  if (error instanceof StepFailure) return error.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `${(error as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
};

const parseJson = (answer: Answer, what: string): unknown => {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new StepFailure(`${what} answered ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 120)}`);
  }
};

const sidIn = (answer: Answer, prefix: string): string | undefined => {
  try {
    const sid = (JSON.parse(answer.text) as Body).sid;
    return typeof sid === 'string' && sid.startsWith(prefix) ? sid : undefined;
  } catch {
    return undefined;
  }
};

function expectSame(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new StepFailure(`${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

function expectUrlOf(body: Body, path: string): void {
  if (typeof body.url !== 'string' || !body.url.endsWith(path)) throw new StepFailure(`url ${JSON.stringify(body.url)} does not end with ${path}`);
}

/** Statuses as `201`, `200 ×3`, `201, 200`. */
export const formatStatuses = (statuses: number[]): string => {
  const runs: { status: number; count: number }[] = [];
  for (const status of statuses) {
    const last = runs.at(-1);
    if (last?.status === status) last.count++;
    else runs.push({ status, count: 1 });
  }
  return runs.map(({ status, count }) => (count > 1 ? `${status} ×${count}` : String(status))).join(', ');
};

/** One step's line: `✓ create service ZS… (201, 45 ms)`, `✗ create build: reason (400, 12 ms)`, `- fetch build: skipped`. */
export function formatStep(step: StepResult): string {
  if (step.outcome === 'skipped') return `- ${step.name}: skipped`;
  const facts = [formatStatuses(step.statuses), `${step.ms} ms`].filter(Boolean).join(', ');
  return step.outcome === 'passed' ? `✓ ${step.name}${step.detail ? ` ${step.detail}` : ''} (${facts})` : `✗ ${step.name}: ${step.detail} (${facts})`;
}

/**
 * Runs every step against the stack, then the cleanup (also after a failure or an abort); the
 * result of each step, in order. It passes only if every step passed.
 */
export async function runSmoke(options: SmokeOptions): Promise<StepResult[]> {
  const { spec, credentials } = options;
  const signal = options.signal ?? new AbortController().signal;
  const uniqueName = options.uniqueName ?? smokeUniqueName();
  const results: StepResult[] = [];
  let statuses: number[] = [];

  /**
   * Sends a request (a form, a multipart body or none) and records its status in the step. An
   * abort stops a read at once, but lets a write that is out get its answer (so that what it
   * made is known to the cleanup) and stops before the next request.
   */
  async function send(method: string, url: string, body?: URLSearchParams | FormData, stepSignal: AbortSignal = signal): Promise<Answer> {
    if (stepSignal.aborted) throw stepSignal.reason;
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: authorization(credentials), Accept: 'application/json' },
        body,
        signal: method === 'GET' ? AbortSignal.any([stepSignal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      if (stepSignal.aborted) throw error;
      if (timeout.aborted) throw new NoAnswer(`${method} ${new URL(url).pathname}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`, false);
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      // fetch refuses some ports (6000, 1, …) with a 'bad port' error before connecting.
      const notSent = (cause?.code !== undefined && NOT_SENT_CODES.has(cause.code)) || cause?.message === 'bad port';
      throw new NoAnswer(`${method} ${url}: ${describeFailure(error)}`, notSent);
    }
    statuses.push(response.status);
    return { status: response.status, headers: response.headers, text };
  }

  /** The body of an answer of an operation, after checking its status, content type, body schema (closed) and headers. */
  function conforming(operationId: string, status: number, answer: Answer): Body {
    if (answer.status !== status) {
      let reason = `${operationId} answered ${answer.status}, expected ${status}`;
      try {
        const error = JSON.parse(answer.text) as Body;
        if (typeof error.code === 'number') reason += `: Twilio error ${error.code}, ${String(error.message)}`;
      } catch {
        if (answer.text) reason += `: ${answer.text.slice(0, 120)}`;
      }
      throw new StepFailure(reason);
    }
    if (status === 204) {
      if (answer.text !== '') throw new StepFailure(`${operationId} answered 204 with a body (the spec declares none)`);
      return {};
    }
    const contentType = answer.headers.get('content-type') ?? '';
    if (!/^application\/json\b/.test(contentType)) throw new StepFailure(`${operationId} answered with content type ${JSON.stringify(contentType)}, not JSON`);
    const body = parseJson(answer, operationId);
    const problems = spec.routeBodyProblems(operationId, status, body, { closed: true });
    if (!(operationId in UPLOAD_RESPONSE_SCHEMAS)) problems.push(...spec.headerProblems(operationId, status, answer.headers));
    if (problems.length > 0) throw new StepFailure(`${operationId} ${status} does not conform to the spec: ${problems.slice(0, 5).join('; ')}`);
    return body as Body;
  }

  async function step(name: StepName, run: () => Promise<string>, stepSignal: AbortSignal = signal): Promise<boolean> {
    statuses = [];
    const started = performance.now();
    let result: Pick<StepResult, 'outcome' | 'detail'>;
    try {
      if (stepSignal.aborted) throw stepSignal.reason;
      result = { outcome: 'passed', detail: await run() };
    } catch (error) {
      result = { outcome: 'failed', detail: stepSignal.aborted ? `aborted (${describeFailure(stepSignal.reason)})` : describeFailure(error) };
    }
    const done: StepResult = { name, ...result, statuses, ms: Math.round(performance.now() - started) };
    results.push(done);
    options.onStep?.(done);
    return done.outcome === 'passed';
  }

  const api = (path: string): string => `${options.url}/v1${path}`;
  const form = (fields: Record<string, string | string[]>): URLSearchParams => {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) for (const item of [value].flat()) body.append(name, item);
    return body;
  };
  /** A version upload's body, as the toolkit sends it: Path, Visibility, then Content as a file part. */
  const uploadForm = (path: string, content: string, contentType: string, filename: string): FormData => {
    const body = new FormData();
    body.append('Path', path);
    body.append('Visibility', 'public');
    body.append('Content', new Blob([content], { type: contentType }), filename);
    return body;
  };

  const made = {
    /** Whether the create-service request went out and was not refused (a 4xx): a service may exist. */
    servicePossible: false,
    service: undefined as string | undefined,
    function: '',
    asset: '',
    functionVersion: '',
    assetVersion: '',
    build: '',
    environment: '',
  };
  const functionSource = `exports.handler = (context, event, callback) => callback(null, 'smoke test ${uniqueName} ✓');\n`;
  const assetText = `smoke test asset ${uniqueName} ✓\n`;
  const functionPath = '/smoke';
  const assetPath = '/smoke.txt';
  const servicePath = () => `/Services/${made.service}`;

  const steps: [StepName, () => Promise<string>][] = [
    [
      'create service',
      async () => {
        made.servicePossible = true;
        const answer = await send('POST', api('/Services'), form({ UniqueName: uniqueName, FriendlyName: `Smoke test ${uniqueName}` })).catch(
          (error: unknown) => {
            if (error instanceof NoAnswer && error.notSent) made.servicePossible = false;
            throw error;
          },
        );
        made.service = sidIn(answer, 'ZS');
        if (answer.status >= 400 && answer.status < 500) made.servicePossible = false;
        const body = conforming('CreateService', 201, answer);
        expectSame('unique_name', body.unique_name, uniqueName);
        expectSame('account_sid', body.account_sid, credentials.accountSid);
        expectUrlOf(body, `/v1${servicePath()}`);
        return `${made.service} ${uniqueName}`;
      },
    ],
    [
      'create function',
      async () => {
        const body = conforming('CreateFunction', 201, await send('POST', api(`${servicePath()}/Functions`), form({ FriendlyName: functionPath })));
        made.function = String(body.sid);
        expectSame('service_sid', body.service_sid, made.service);
        expectUrlOf(body, `/v1${servicePath()}/Functions/${made.function}`);
        return made.function;
      },
    ],
    [
      'create asset',
      async () => {
        const body = conforming('CreateAsset', 201, await send('POST', api(`${servicePath()}/Assets`), form({ FriendlyName: assetPath })));
        made.asset = String(body.sid);
        expectSame('service_sid', body.service_sid, made.service);
        expectUrlOf(body, `/v1${servicePath()}/Assets/${made.asset}`);
        return made.asset;
      },
    ],
    [
      'upload function version',
      async () => {
        const url = `${options.uploadUrl}/v1${servicePath()}/Functions/${made.function}/Versions`;
        const body = conforming(
          'CreateFunctionVersion',
          201,
          await send('POST', url, uploadForm(functionPath, functionSource, 'application/javascript', 'smoke.js')),
        );
        made.functionVersion = String(body.sid);
        expectSame('function_sid', body.function_sid, made.function);
        expectSame('path', body.path, functionPath);
        expectSame('visibility', body.visibility, 'public');
        return made.functionVersion;
      },
    ],
    [
      'upload asset version',
      async () => {
        const url = `${options.uploadUrl}/v1${servicePath()}/Assets/${made.asset}/Versions`;
        const body = conforming('CreateAssetVersion', 201, await send('POST', url, uploadForm(assetPath, assetText, 'text/plain', 'smoke.txt')));
        made.assetVersion = String(body.sid);
        expectSame('asset_sid', body.asset_sid, made.asset);
        expectSame('path', body.path, assetPath);
        expectSame('visibility', body.visibility, 'public');
        return made.assetVersion;
      },
    ],
    [
      'fetch function version',
      async () => {
        const path = `${servicePath()}/Functions/${made.function}/Versions/${made.functionVersion}`;
        const body = conforming('FetchFunctionVersion', 200, await send('GET', api(path)));
        expectSame('sid', body.sid, made.functionVersion);
        expectSame('path', body.path, functionPath);
        expectSame('visibility', body.visibility, 'public');
        return made.functionVersion;
      },
    ],
    [
      'fetch function version content',
      async () => {
        const path = `${servicePath()}/Functions/${made.function}/Versions/${made.functionVersion}/Content`;
        const body = conforming('FetchFunctionVersionContent', 200, await send('GET', api(path)));
        expectSame('content', body.content, functionSource);
        return `${Buffer.byteLength(functionSource)} bytes round-tripped`;
      },
    ],
    [
      'fetch asset version',
      async () => {
        const path = `${servicePath()}/Assets/${made.asset}/Versions/${made.assetVersion}`;
        const body = conforming('FetchAssetVersion', 200, await send('GET', api(path)));
        expectSame('sid', body.sid, made.assetVersion);
        expectSame('path', body.path, assetPath);
        expectSame('visibility', body.visibility, 'public');
        return made.assetVersion;
      },
    ],
    [
      'create build',
      async () => {
        const dependencies = [{ name: '@twilio/runtime-handler', version: '2.0.0' }];
        const body = conforming(
          'CreateBuild',
          201,
          await send(
            'POST',
            api(`${servicePath()}/Builds`),
            form({ FunctionVersions: made.functionVersion, AssetVersions: made.assetVersion, Dependencies: JSON.stringify(dependencies), Runtime: RUNTIME }),
          ),
        );
        made.build = String(body.sid);
        expectSame(
          'function_versions[].sid',
          (body.function_versions as Body[] | null)?.map((version) => version.sid),
          [made.functionVersion],
        );
        expectSame(
          'asset_versions[].sid',
          (body.asset_versions as Body[] | null)?.map((version) => version.sid),
          [made.assetVersion],
        );
        expectSame('dependencies', body.dependencies, dependencies);
        expectSame('runtime', body.runtime, RUNTIME);
        expectUrlOf(body, `/v1${servicePath()}/Builds/${made.build}`);
        return `${made.build} ${String(body.status)}`;
      },
    ],
    [
      'wait for build',
      async () => {
        const started = Date.now();
        const deadline = started + options.buildTimeoutSeconds * 1000;
        for (;;) {
          const body = conforming('FetchBuildStatus', 200, await send('GET', api(`${servicePath()}/Builds/${made.build}/Status`)));
          expectSame('sid', body.sid, made.build);
          if (body.status === 'completed') return `${made.build} completed after ${((Date.now() - started) / 1000).toFixed(1)} s`;
          if (body.status === 'failed') throw new StepFailure(`build ${made.build} failed`);
          const left = deadline - Date.now();
          if (left <= 0) throw new StepFailure(`build ${made.build} still ${String(body.status)} after ${options.buildTimeoutSeconds} s (--timeout)`);
          // The last poll comes at the deadline.
          await sleep(Math.min(POLL_INTERVAL_MS, left), undefined, { signal });
        }
      },
    ],
    [
      'fetch build',
      async () => {
        const body = conforming('FetchBuild', 200, await send('GET', api(`${servicePath()}/Builds/${made.build}`)));
        expectSame('status', body.status, 'completed');
        return `${made.build} completed`;
      },
    ],
    [
      'create environment',
      async () => {
        const body = conforming(
          'CreateEnvironment',
          201,
          await send('POST', api(`${servicePath()}/Environments`), form({ UniqueName: 'smoke', DomainSuffix: 'smoke' })),
        );
        made.environment = String(body.sid);
        expectSame('build_sid', body.build_sid, null);
        expectUrlOf(body, `/v1${servicePath()}/Environments/${made.environment}`);
        return `${made.environment} ${String(body.domain_name)}`;
      },
    ],
    [
      'deploy build',
      async () => {
        const path = `${servicePath()}/Environments/${made.environment}/Deployments`;
        const body = conforming('CreateDeployment', 201, await send('POST', api(path), form({ BuildSid: made.build })));
        expectSame('build_sid', body.build_sid, made.build);
        expectSame('environment_sid', body.environment_sid, made.environment);
        expectUrlOf(body, `/v1${path}/${String(body.sid)}`);
        return `${String(body.sid)}: ${made.build} to ${made.environment}`;
      },
    ],
    [
      'fetch environment',
      async () => {
        const body = conforming('FetchEnvironment', 200, await send('GET', api(`${servicePath()}/Environments/${made.environment}`)));
        expectSame('build_sid', body.build_sid, made.build);
        return `${made.environment} serves ${made.build}`;
      },
    ],
  ];

  let failed = false;
  for (const [name, run] of steps) {
    if (failed) {
      const skipped: StepResult = { name, outcome: 'skipped', detail: '', statuses: [], ms: 0 };
      results.push(skipped);
      options.onStep?.(skipped);
    } else if (!(await step(name, run))) failed = true;
  }

  // The cleanup does not stop when the run was aborted: it has its own signal.
  await step(
    'cleanup',
    async () => {
      if (!made.service && !made.servicePossible) return 'nothing to delete: no service was made';
      // A create whose answer was lost or unreadable may still have made the service: its unique name finds it.
      const target = made.service ?? uniqueName;
      const cleanupSignal = new AbortController().signal;
      try {
        const deleted = await send('DELETE', api(`/Services/${target}`), undefined, cleanupSignal);
        if (!made.service && deleted.status === 404) return `no service ${uniqueName} was made`;
        conforming('DeleteService', 204, deleted);
        const gone = await send('GET', api(`/Services/${target}`), undefined, cleanupSignal);
        if (gone.status !== 404) throw new StepFailure(`service ${target} still answers ${gone.status} after its delete`);
        const problems = spec.twilioErrorProblems(parseJson(gone, 'FetchService'), 404, 20404);
        if (problems.length > 0) throw new StepFailure(`the 404 of the deleted service is not Twilio's error: ${problems.join('; ')}`);
      } catch (error) {
        throw new StepFailure(
          `${describeFailure(error)}; delete service ${made.service ? `${made.service} (${uniqueName})` : uniqueName} yourself if it is still there`,
        );
      }
      return `deleted service ${target} and everything under it`;
    },
    new AbortController().signal,
  );
  return results;
}
