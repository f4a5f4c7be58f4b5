import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FALLBACK_ENTRY, matchRoute, ROUTES } from '../../lambda/routes';
import { keys } from '../../lambda/store/keys';
import { type LocalBackend, startLocalBackend } from '../../local/backend';
import { type LambdaHttpHandler, lambdaContext } from '../../local/http-adapter';
import { loadSeed, readSeedFile } from '../../local/seed';
import { ensureTable } from '../../local/table';
import { DEMO_SEED_FILE, demoSids, EXAMPLE_BUILD_SID, putExampleBuild } from '../../scripts/example-build';
import { readEvent as readEventFile, ToolError } from '../../scripts/invoke';
import { run, runScript } from '../support/cli';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EVENTS = join(ROOT, 'events');
const MANIFEST = 'expected.json';
type Expectation = { function: string; status: number };
const manifest = JSON.parse(readFileSync(join(EVENTS, MANIFEST), 'utf8')) as Record<string, Expectation | string>;
const eventFiles = readdirSync(EVENTS)
  .filter((file) => file.endsWith('.json') && file !== MANIFEST)
  .sort();
const readEvent = (file: string) => JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as APIGatewayProxyEventV2;

/** `npm run invoke -- …`, with the handlers' variables cleared. */
const invoke = (args: string[], env: Record<string, string> = {}) =>
  runScript('scripts/invoke.ts', args, env, ['TABLE_NAME', 'DYNAMODB_ENDPOINT', 'STEPFUNCTIONS_ENDPOINT', 'STATE_MACHINE_ARN', 'SEED_FILE']);

interface Printed {
  statusCode: number;
  headers: Record<string, string>;
  body: { sid?: string; status?: string; code?: number } | null;
}

let dynamoDb: DynamoDBClient;
let documentClient: DynamoDBDocumentClient;
/** What `npm run invoke` starts around a handler, here once for every event: the demo table, in process. */
let backend: LocalBackend;
beforeAll(async () => {
  dynamoDb = new DynamoDBClient({ endpoint: inject('dynamoDbEndpoint') });
  documentClient = DynamoDBDocumentClient.from(dynamoDb);
  const tableName = `invoke-${randomUUID()}`;
  backend = await startLocalBackend({
    tableName,
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    seed: readSeedFile(DEMO_SEED_FILE),
    buildWaitSeconds: 0,
    log: () => undefined,
  });
  // As on Lambda (and in npm run invoke): the handlers read their configuration when first imported.
  Object.assign(process.env, backend.env);
});
afterAll(async () => {
  await backend?.stop();
  dynamoDb?.destroy();
});

/** A table of its own for one event: the demo seed and the example build the events name. */
async function demoTable(): Promise<string> {
  const tableName = `invoke-${randomUUID()}`;
  await ensureTable(dynamoDb, tableName);
  await loadSeed(documentClient, tableName, readSeedFile(DEMO_SEED_FILE));
  expect(await putExampleBuild(documentClient, tableName)).toBeDefined();
  return tableName;
}

const getBuild = async (tableName: string, sid: string) =>
  (await documentClient.send(new GetCommand({ TableName: tableName, Key: keys.build(demoSids().serviceSid, sid) }))).Item;

describe('events/', () => {
  it('has a manifest entry for every event file, and an event file for every entry', () => {
    const entries = Object.keys(manifest).filter((key) => !key.startsWith('$'));
    expect(eventFiles.length).toBeGreaterThan(0);
    for (const file of eventFiles) expect(manifest[file], `${file} has no entry in events/${MANIFEST}`).toBeDefined();
    expect(entries.sort()).toEqual(eventFiles);
    const functions = [...ROUTES.map((route) => route.entry), FALLBACK_ENTRY];
    for (const file of entries) {
      const expected = manifest[file] as Expectation;
      expect(functions, `events/${MANIFEST}: ${file}`).toContain(expected.function);
      expect(Number.isInteger(expected.status), `events/${MANIFEST}: ${file}`).toBe(true);
    }
  });

  it.each(eventFiles)('%s is an HTTP API payload 2.0 event for the demo account, routed to its function', (file) => {
    const event = readEvent(file);
    const expected = manifest[file] as Expectation;
    const { http } = event.requestContext;
    const match = matchRoute(http.method, event.rawPath);
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe(match.route ? `${match.route.method} ${match.route.path}` : '$default');
    expect(event.requestContext.routeKey).toBe(event.routeKey);
    expect(match.route?.entry ?? FALLBACK_ENTRY).toBe(expected.function);
    // API Gateway omits pathParameters on a route without any (POST /v1/Services).
    if (match.route) expect(event.pathParameters ?? {}).toEqual(match.pathParameters);
    else expect(event.pathParameters).toBeUndefined();
    expect(http.path).toBe(event.rawPath);
    expect(event.requestContext.stage).toBe('$default');
    expect(event.requestContext.domainName).toBe(event.headers.host);
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers['x-forwarded-proto']).toBe('https');
    const { account } = demoSids();
    expect(event.headers.authorization).toBe(`Basic ${Buffer.from(`${account.sid}:${account.auth_token}`).toString('base64')}`);
    const query = new URLSearchParams(event.rawQueryString);
    expect(event.queryStringParameters ?? {}).toEqual(Object.fromEntries(query));
    if (event.body === undefined) {
      expect(event.isBase64Encoded).toBe(false);
    } else {
      expect(event.isBase64Encoded).toBe(true);
      expect(event.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(Number(event.headers['content-length'])).toBe(Buffer.from(event.body, 'base64').length);
    }
  });
});

/**
 * Each event as `npm run invoke -- <function> events/<file>` runs it, in this process: the same
 * handler module, the event file as it is, a Lambda context, the demo seed and the example build
 * (put again before each event, as each run of the tool starts from it). The tool itself, around
 * the handler, is run as a process below.
 */
describe('events/<file> invoked on its function', () => {
  it.each(eventFiles)('%s produces the status events/expected.json documents', async (file) => {
    const expected = manifest[file] as Expectation | undefined;
    expect(expected, `${file} has no entry in events/${MANIFEST}`).toBeDefined();
    const tableName = backend.env.TABLE_NAME;
    expect(await putExampleBuild(documentClient, tableName)).toBeDefined();
    const { handler } = (await import(`../../lambda/handlers/${expected!.function}.ts`)) as { handler: LambdaHttpHandler };
    const result = await handler(readEventFile(join(EVENTS, file)), lambdaContext(expected!.function));
    expect(typeof result).toBe('object');
    const response = result as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
    const body = response.body
      ? (JSON.parse(response.isBase64Encoded ? Buffer.from(response.body, 'base64').toString('utf8') : response.body) as Printed['body'])
      : null;
    expect(response.statusCode, JSON.stringify(body)).toBe(expected!.status);
    expect(response.headers?.['Twilio-Request-Id']).toBeTruthy();

    if (expected!.function === 'create-build' && expected!.status === 201) {
      expect(body?.sid).toMatch(/^ZB[0-9a-f]{32}$/);
      expect(body?.status).toBe('building');
      await backend.stepFunctions?.drain();
      expect(await getBuild(tableName, body!.sid!)).toMatchObject({ status: 'completed' });
    }
    if (expected!.function === 'delete-build' && expected!.status === 204) {
      expect(await getBuild(tableName, EXAMPLE_BUILD_SID)).toBeUndefined();
    }
    if (['fetch-build', 'fetch-build-status'].includes(expected!.function) && expected!.status === 200) {
      expect(body?.sid).toBe(EXAMPLE_BUILD_SID);
    }
    if (expected!.status >= 400) expect(body?.code).toEqual(expect.any(Number));
  });

  it('refuses an unreadable or foreign event file, naming it (the tool exits 1)', () => {
    expect(() => readEventFile('events/no-such-event.json')).toThrow(ToolError);
    expect(() => readEventFile('events/no-such-event.json')).toThrow('Cannot read event events/no-such-event.json');
    expect(() => readEventFile(join(EVENTS, MANIFEST))).toThrow('is not an API Gateway HTTP API (payload 2.0) event');
    expect(() => readEventFile(join(EVENTS, MANIFEST))).toThrow(expect.objectContaining({ exitCode: 1 }));
  });
});

describe.concurrent('npm run invoke -- <function> events/<file>, as a process', () => {
  it('create-build events/create-build.json: prints the response alone on stdout, waits for the build workflow (SUCCEEDED), exit 0', async () => {
    const tableName = await demoTable();
    const result = await invoke(['create-build', 'events/create-build.json'], {
      DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
      TABLE_NAME: tableName,
      BUILD_WAIT_SECONDS: '0',
    });
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Printed;
    expect(printed.statusCode, result.stdout).toBe(201);
    expect(printed.headers['Twilio-Request-Id']).toBeTruthy();
    // The tool waited for the build's workflow: the build is stored, and completed.
    expect(printed.body?.sid).toMatch(/^ZB[0-9a-f]{32}$/);
    expect(printed.body?.status).toBe('building');
    expect(await getBuild(tableName, printed.body!.sid!)).toMatchObject({ status: 'completed' });
    expect(result.stderr).toContain('SUCCEEDED');
  });

  it('fails, with a message, on an unknown function (exit 2)', async () => {
    const result = await invoke(['build-everything', 'events/create-build.json']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Unknown function "build-everything"');
    expect(result.stderr).toContain('create-build, list-builds');
  });

  it('fails, with a message, when DYNAMODB_ENDPOINT has no such table (exit 1)', async () => {
    const result = await invoke(['fetch-build', 'events/fetch-build.json'], {
      DYNAMODB_ENDPOINT: inject('dynamoDbEndpoint'),
      TABLE_NAME: 'no-such-table',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Table "no-such-table" does not exist');
  });
});

// After the others, alone: it starts a DynamoDB Local (Java) of its own, slow on a busy machine.
describe('npm run invoke without DYNAMODB_ENDPOINT', () => {
  it('works out of the box through npm: a throwaway DynamoDB Local with the demo seed and the example build', async () => {
    const result = await run('npm', ['run', '--silent', 'invoke', '--', 'fetch-build', 'events/fetch-build.json'], {}, [
      'TABLE_NAME',
      'DYNAMODB_ENDPOINT',
      'STEPFUNCTIONS_ENDPOINT',
      'STATE_MACHINE_ARN',
      'SEED_FILE',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as Printed;
    expect(printed).toMatchObject({ statusCode: 200, body: { sid: EXAMPLE_BUILD_SID, status: 'completed' } });
    expect(result.stderr).toContain('DynamoDB Local (in memory)');
  }, 60_000);
});
