/**
 * `npm run smoke -- --url <ApiUrl> --account AC… --token …` (or `--key SK… --secret …`): the smoke
 * test of a deployed stack (or of `npm start`). It creates a service, a function and an asset,
 * uploads a version of each, reads them back, builds, waits for the build, deploys it to a new
 * environment and reads that back, checking every answer against Twilio's OpenAPI spec, then
 * deletes the service and everything under it (also after a failure, or a SIGINT / SIGTERM).
 * One line per step.
 *
 * Exit code 0 when every step passed, 1 when one failed, 2 for a usage error or a missing spec.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_SPEC_PATH, OpenApiSpec, SpecFileError } from './lib/openapi';
import { formatStep, runSmoke, type SmokeCredentials, type StepResult, smokeUniqueName } from './lib/smoke';

const DEFAULT_TIMEOUT_SECONDS = 120;

const USAGE = `Usage: npm run smoke -- --url <ApiUrl> --account <AC…> (--token <auth token> | --key <SK…> --secret <secret>)
                        [--upload-url <url>] [--timeout <seconds>] [--spec <file>] [--json]
  Creates a service (smoke-<date>-<random>), a function and an asset, uploads a version of each,
  fetches them back, builds, waits for the build, deploys it to a new environment, fetches that,
  checks every answer against Twilio's OpenAPI spec, then deletes the service and everything
  under it (also after a failure or Ctrl-C). Exit code 0 when every step passed, 1 when one
  failed, 2 for bad arguments.
  --url         the API's base URL: the stack's ApiUrl output (npm start: http://127.0.0.1:3000)
  --upload-url  where version uploads go (Twilio: https://serverless-upload.twilio.com); default --url
  --account     the account SID; or TWILIO_ACCOUNT_SID
  --token       the account's auth token; or TWILIO_AUTH_TOKEN
  --key         an API key SID (SK…) to authenticate with instead of the auth token
  --secret      the API key's secret; or TWILIO_API_SECRET
  --timeout     seconds the build may take (default ${DEFAULT_TIMEOUT_SECONDS}); Status is polled every second
  --spec        twilio_serverless_v1.json (default ${DEFAULT_SPEC_PATH})
  --json        print one JSON document of every step's result instead of the lines`;

class UsageError extends Error {}

interface Arguments {
  url: string;
  uploadUrl: string;
  credentials: SmokeCredentials;
  timeoutSeconds: number;
  specPath: string;
  json: boolean;
}

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const KEY_SID = /^SK[0-9a-fA-F]{32}$/;

/** A base URL without its trailing slashes; a UsageError unless it is http(s) with no query or fragment. */
function baseUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${JSON.stringify(value)} is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${flag} must be an http(s) URL, not ${url.protocol}.`);
  if (url.search || url.hash || url.username || url.password) throw new UsageError(`${flag} must be a base URL: no query, fragment or credentials.`);
  return value.replace(/\/+$/, '');
}

/** The arguments; undefined for --help. */
function parse(argv: string[], env: NodeJS.ProcessEnv): Arguments | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        'upload-url': { type: 'string' },
        account: { type: 'string' },
        token: { type: 'string' },
        key: { type: 'string' },
        secret: { type: 'string' },
        timeout: { type: 'string' },
        spec: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const text = (name: string): string | undefined => (typeof values[name] === 'string' ? (values[name] as string) : undefined);

  if (!text('url')) throw new UsageError('--url is required.');
  const url = baseUrl('--url', text('url')!);
  const uploadUrl = text('upload-url') === undefined ? url : baseUrl('--upload-url', text('upload-url')!);

  const accountSid = text('account') ?? env.TWILIO_ACCOUNT_SID;
  if (!accountSid) throw new UsageError('--account (or TWILIO_ACCOUNT_SID) is required.');
  if (!ACCOUNT_SID.test(accountSid)) throw new UsageError(`--account must be an account SID (AC and 32 hex digits), not ${JSON.stringify(accountSid)}.`);

  let credentials: SmokeCredentials;
  const key = text('key');
  if (key !== undefined) {
    if (text('token') !== undefined) throw new UsageError('Pass either --token or --key with --secret, not both.');
    if (!KEY_SID.test(key)) throw new UsageError(`--key must be an API key SID (SK and 32 hex digits), not ${JSON.stringify(key)}.`);
    const secret = text('secret') ?? env.TWILIO_API_SECRET;
    if (!secret) throw new UsageError('--key needs --secret (or TWILIO_API_SECRET).');
    credentials = { accountSid, username: key, password: secret };
  } else {
    if (text('secret') !== undefined) throw new UsageError('--secret goes with --key.');
    const token = text('token') ?? env.TWILIO_AUTH_TOKEN;
    if (!token) throw new UsageError('--token (or TWILIO_AUTH_TOKEN), or --key with --secret, is required.');
    credentials = { accountSid, username: accountSid, password: token };
  }

  let timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  if (text('timeout') !== undefined) {
    timeoutSeconds = Number(text('timeout'));
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 3600) {
      throw new UsageError(`--timeout must be a number of seconds from 1 to 3600, not ${JSON.stringify(text('timeout'))}.`);
    }
  }
  return { url, uploadUrl, credentials, timeoutSeconds, specPath: text('spec') ?? DEFAULT_SPEC_PATH, json: values.json === true };
}

/** Where the command writes: its lines (stdout) and its messages (stderr). */
export interface SmokeOutput {
  log(text: string): void;
  error(text: string): void;
}

/**
 * The whole command: parses `argv` (with `env` for the TWILIO_* fallbacks), runs the smoke test,
 * writes its lines to `output`, and resolves to the exit code (0 passed, 1 a step failed, 2 bad
 * arguments or no spec). With `handleSignals` (the command), a SIGINT or SIGTERM stops the run
 * and still cleans up; a second one quits at once.
 */
export async function smokeCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  output: SmokeOutput = console,
  options: { handleSignals?: boolean } = {},
): Promise<number> {
  let args: Arguments | undefined;
  let spec: OpenApiSpec;
  try {
    args = parse(argv, env);
    if (!args) {
      output.log(USAGE);
      return 0;
    }
    spec = OpenApiSpec.fromFile(args.specPath);
  } catch (error) {
    if (error instanceof UsageError) {
      output.error(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof SpecFileError) {
      output.error(error.message);
      return 2;
    }
    throw error;
  }

  const uniqueName = smokeUniqueName();
  const run = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (!run.signal.aborted) {
      output.error(`${signal}: stopping, then deleting what the smoke test made (${signal} again to quit at once)`);
      run.abort(new Error(signal));
      return;
    }
    output.error(`${signal} again: quitting without cleanup; delete the service ${uniqueName} yourself if it exists`);
    process.exit(1);
  };
  if (options.handleSignals) {
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }

  if (!args.json) output.log(`smoke test of ${args.url} as ${args.credentials.username}`);
  const json = args.json;
  const steps: StepResult[] = await runSmoke({
    url: args.url,
    uploadUrl: args.uploadUrl,
    credentials: args.credentials,
    spec,
    buildTimeoutSeconds: args.timeoutSeconds,
    uniqueName,
    signal: run.signal,
    onStep: (step) => {
      if (!json) output.log(formatStep(step));
    },
  });
  const passed = steps.filter((step) => step.outcome === 'passed').length;
  const ok = passed === steps.length;
  if (args.json) {
    output.log(JSON.stringify({ ok, url: args.url, uniqueName, steps }, null, 2));
  } else {
    const failed = steps.find((step) => step.outcome === 'failed');
    output.log(ok ? `PASSED: ${passed} of ${steps.length} steps` : `FAILED: ${passed} of ${steps.length} steps passed; first failure: ${failed?.name}`);
  }
  return ok ? 0 : 1;
}

// Run as a command (npm run smoke), not when imported.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  smokeCommand(process.argv.slice(2), process.env, console, { handleSignals: true }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`smoke: unexpected error: ${(error as Error).stack ?? String(error)}`);
      process.exitCode = 1;
    },
  );
}
