/**
 * `npm run invoke -- <function> <event.json>`: runs one Lambda handler (lambda/handlers/<function>.ts)
 * in this Node process with an API Gateway HTTP API (payload 2.0) event and a Lambda context, and
 * prints its response as JSON on stdout. Handler and workflow logs go to stderr.
 *
 * DynamoDB: `DYNAMODB_ENDPOINT` (its table `TABLE_NAME` must exist), else a throwaway DynamoDB
 * Local in memory with the table, the demo seed (or `SEED_FILE`) and the example build the sample
 * events name. The table's stream starts the workflow of a created build: `STEPFUNCTIONS_ENDPOINT` + `STATE_MACHINE_ARN`
 * (another stack's runner, whose poller reads the same table) leave that to it, else the build
 * workflow runs in process; the tool waits for it (`BUILD_WAIT_SECONDS`, default 2) before exiting.
 *
 * Exit code 0 whenever the handler ran, whatever status it answered; 1 when the tool could not
 * run it (unknown function, unreadable event, missing table); 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { FALLBACK_ENTRY, matchRoute, ROUTES } from '../lambda/routes';
import type { LocalBackend } from '../local/backend';
import type { LambdaHttpHandler } from '../local/http-adapter';

const ENTRIES: string[] = [...new Set([...ROUTES.map((route) => route.entry), FALLBACK_ENTRY])];
const USAGE = `Usage: npm run invoke -- <function> <event.json>
  <function>: ${ENTRIES.join(', ')} (or a route id: ${ROUTES.map((route) => route.id).join(', ')})
  e.g.  npm run invoke -- create-build events/create-build.json
Environment: DYNAMODB_ENDPOINT, TABLE_NAME (default twilio-serverless-builds), SEED_FILE,
  STEPFUNCTIONS_ENDPOINT + STATE_MACHINE_ARN, BUILD_WAIT_SECONDS (default 2).`;

/** A failure of the tool itself (not of the handler): its exit code, 1 or 2 (usage). */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The handler entry a command-line name stands for: an entry (`create-build`) or a route id (`CreateBuild`). */
export function resolveEntry(name: string): string {
  const entry = ENTRIES.includes(name) ? name : ROUTES.find((route) => route.id.toLowerCase() === name.toLowerCase())?.entry;
  if (!entry) throw new ToolError(`Unknown function "${name}".\n${USAGE}`, 2);
  return entry;
}

/** The event in a file, checked to be an HTTP API (payload 2.0) event; a ToolError (exit 1) otherwise. */
export function readEvent(path: string): APIGatewayProxyEventV2 {
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ToolError(`Cannot read event ${path}: ${(error as Error).message}`);
  }
  const http = (event as { requestContext?: { http?: { method?: unknown } } } | null)?.requestContext?.http;
  if (typeof event !== 'object' || event === null || typeof (event as { rawPath?: unknown }).rawPath !== 'string' || typeof http?.method !== 'string') {
    throw new ToolError(`${path} is not an API Gateway HTTP API (payload 2.0) event: it needs rawPath and requestContext.http.method`);
  }
  return event as APIGatewayProxyEventV2;
}

/** The response as printed: the body parsed when it is JSON, so that it prints pretty. */
function printable(result: APIGatewayProxyStructuredResultV2 | string | undefined): Record<string, unknown> {
  if (result === undefined || typeof result === 'string') return { statusCode: 200, body: result ?? null };
  const { body, isBase64Encoded, ...rest } = result;
  const text = body === undefined ? undefined : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  let parsed: unknown = text ?? null;
  try {
    if (text !== undefined) parsed = JSON.parse(text);
  } catch {
    // not JSON: printed as the string it is
  }
  return { ...rest, body: parsed };
}

async function main(argv: string[]): Promise<void> {
  const [name, eventPath, ...extra] = argv;
  if (name === '--help' || name === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!name || !eventPath || extra.length > 0) throw new ToolError(USAGE, 2);
  const entry = resolveEntry(name);
  const event = readEvent(eventPath);
  const routed = matchRoute(event.requestContext.http.method, event.rawPath).route?.entry ?? FALLBACK_ENTRY;
  if (routed !== entry) console.error(`invoke: note: API Gateway would route ${event.requestContext.http.method} ${event.rawPath} to ${routed}, not ${entry}`);

  // Loaded once the arguments hold up, so that a usage error answers at once.
  const [{ lambdaContext }, { readSeedFile }, { DEMO_SEED_FILE, EXAMPLE_BUILD_SID, putExampleBuild }, { startLocalBackend }] = await Promise.all([
    import('../local/http-adapter'),
    import('../local/seed'),
    import('./example-build'),
    import('../local/backend'),
  ]);

  // stdout carries the response alone: everything else written to it (the handlers' logger) goes to stderr.
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

  const tableName = process.env.TABLE_NAME || 'twilio-serverless-builds';
  const buildWaitSeconds = Number(process.env.BUILD_WAIT_SECONDS ?? 2);
  if (!Number.isInteger(buildWaitSeconds) || buildWaitSeconds < 0)
    throw new ToolError(`BUILD_WAIT_SECONDS must be a whole number of seconds, got "${process.env.BUILD_WAIT_SECONDS}"`);
  const seedFile = process.env.SEED_FILE || DEMO_SEED_FILE;
  const dynamoDbEndpoint = process.env.DYNAMODB_ENDPOINT || undefined;
  let backend: LocalBackend;
  try {
    backend = await startLocalBackend({
      tableName,
      dynamoDbEndpoint,
      table: dynamoDbEndpoint ? 'require-existing' : 'create-and-seed',
      seed: dynamoDbEndpoint ? undefined : readSeedFile(seedFile),
      prepare: async (client) => {
        const build = await putExampleBuild(client, tableName);
        if (!build) console.error(`invoke: ${seedFile} lacks the demo service or versions, so there is no example build ${EXAMPLE_BUILD_SID}`);
      },
      stepFunctionsEndpoint: process.env.STEPFUNCTIONS_ENDPOINT || undefined,
      stateMachineArn: process.env.STATE_MACHINE_ARN || undefined,
      buildWaitSeconds,
      log: (line) => console.error(JSON.stringify(line)),
    });
  } catch (error) {
    throw new ToolError((error as Error).message);
  }
  if (backend.ephemeral)
    console.error(
      `invoke: DynamoDB Local (in memory) at ${backend.env.DYNAMODB_ENDPOINT}, table ${tableName}, seed ${seedFile}, example build ${EXAMPLE_BUILD_SID}`,
    );

  try {
    // As on Lambda: the handler reads its configuration from the environment when first imported.
    Object.assign(process.env, backend.env);
    const module = (await import(`../lambda/handlers/${entry}.ts`)) as { handler: LambdaHttpHandler };
    let output: Record<string, unknown>;
    try {
      output = printable(await module.handler(event, lambdaContext(entry)));
    } catch (error) {
      // What Lambda reports for a function error: the invocation ran, the function threw.
      console.error(`invoke: the handler threw: ${inspect(error)}`);
      output = { errorType: (error as Error).name ?? 'Error', errorMessage: (error as Error).message ?? String(error) };
    }
    await new Promise<void>((resolve, reject) => stdoutWrite(`${JSON.stringify(output, null, 2)}\n`, (error) => (error ? reject(error) : resolve())));

    // A build created here completes here: the stream poller starts its workflow; wait for it
    // before DynamoDB goes away.
    const executions = backend.stepFunctions?.executions;
    if (entry === 'create-build' && backend.poller && executions) {
      console.error(`invoke: waiting for the build workflow (${buildWaitSeconds} s)…`);
      await backend.stepFunctions?.drain();
      for (const execution of executions.values()) console.error(`invoke: workflow ${execution.name}: ${execution.status}`);
    }
  } finally {
    await backend.stop();
  }
}

// Run as a command (npm run invoke), not when imported.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: Error) => {
      if (error instanceof ToolError) console.error(error.exitCode === 2 ? error.message : `invoke: ${error.message}`);
      else console.error(`invoke: ${error.stack ?? error.message}`);
      process.exit(error instanceof ToolError ? error.exitCode : 1);
    },
  );
}
