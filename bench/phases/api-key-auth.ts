/**
 * Phase 9: what an API key costs against an auth token. The Status handler (what deploy tools
 * poll) invoked in this process with the same request, authenticated one way and then the other,
 * interleaved (the order alternating): DynamoDB requests per request counted on the handler's own
 * client, and the handler's time. The key is made by the accounts CLI's own command module.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AccountTable } from '../../lambda/store/accounts';
import { Table } from '../../lambda/store/table';
import { type LambdaHttpHandler, lambdaContext } from '../../local/http-adapter';
import { startLocalStack } from '../../local/stack';
import { runAccountsCommand } from '../../scripts/lib/accounts';
import { countDynamoDbRequests } from '../lib/count';
import { apiEvent } from '../lib/events';
import { dynamoDbEndpoint, fail, handlerEnv, report } from '../lib/ipc';
import { ACCOUNT, BUILDS_PATH, benchSeed, CREATE_FORM } from '../lib/seed';

const ITERATIONS = Number(process.env.BENCH_API_KEY_ITERATIONS ?? 500);
const WARMUP = Number(process.env.BENCH_API_KEY_WARMUP ?? 100);

export interface ApiKeyAuthSide {
  handlerMs: number[];
  /** DynamoDB HTTP attempts per request (retries included). */
  roundTripsPerRequest: number;
  /** Commands per request, by name. */
  commandsPerRequest: Record<string, number>;
}

export interface ApiKeyAuthResult {
  route: string;
  iterations: number;
  token: ApiKeyAuthSide;
  apiKey: ApiKeyAuthSide;
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-api-key-${randomUUID()}`,
    // The build stays `building`: no workflow write runs during the measurement.
    buildWaitSeconds: 3600,
    port: 0,
    env: handlerEnv(),
  });
  const created = await runAccountsCommand(new AccountTable(new Table(stack.documentClient, stack.tableName)), {
    command: 'create-key',
    sid: ACCOUNT.sid,
    json: true,
  });
  const key = created.json as { sid: string; secret: string };
  const keyAuthorization = `Basic ${Buffer.from(`${key.sid}:${key.secret}`).toString('base64')}`;

  const createHandler = (await import('../../lambda/handlers/create-build')).handler as unknown as LambdaHttpHandler;
  const statusHandler = (await import('../../lambda/handlers/fetch-build-status')).handler as unknown as LambdaHttpHandler;
  const { dynamoDb } = await import('../../lambda/store/client');
  const counter = countDynamoDbRequests(dynamoDb);
  counter.enabled = false;

  const createEvent = apiEvent('POST', BUILDS_PATH, CREATE_FORM);
  const build = await createHandler(createEvent, lambdaContext('create-build', createEvent.requestContext.requestId));
  if (build.statusCode !== 201) throw new Error(`create answered ${build.statusCode}: ${build.body}`);
  const statusPath = `${BUILDS_PATH}/${(JSON.parse(build.body ?? '{}') as { sid: string }).sid}/Status`;

  const sides = [
    { name: 'token', authorization: undefined as string | undefined, ms: [] as number[], attempts: 0, commands: new Map<string, number>() },
    { name: 'apiKey', authorization: keyAuthorization, ms: [] as number[], attempts: 0, commands: new Map<string, number>() },
  ];
  const once = async (side: (typeof sides)[number], measured: boolean) => {
    const event = apiEvent('GET', statusPath);
    if (side.authorization) event.headers.authorization = side.authorization;
    const context = lambdaContext('fetch-build-status', event.requestContext.requestId);
    counter.reset();
    counter.enabled = measured;
    const started = performance.now();
    const response = await statusHandler(event, context);
    const elapsed = performance.now() - started;
    counter.enabled = false;
    if (response.statusCode !== 200) throw new Error(`${side.name}: status answered ${response.statusCode}: ${response.body}`);
    if (!measured) return;
    side.ms.push(elapsed);
    side.attempts += counter.attempts;
    for (const [name, n] of counter.commands) side.commands.set(name, (side.commands.get(name) ?? 0) + n);
  };
  for (let i = 0; i < WARMUP; i++) for (const side of sides) await once(side, false);
  for (let i = 0; i < ITERATIONS; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) await once(side, true);
  }
  const summary = (side: (typeof sides)[number]): ApiKeyAuthSide => ({
    handlerMs: side.ms,
    roundTripsPerRequest: side.attempts / ITERATIONS,
    commandsPerRequest: Object.fromEntries([...side.commands].map(([name, n]) => [name, n / ITERATIONS])),
  });
  const result: ApiKeyAuthResult = { route: 'FetchBuildStatus', iterations: ITERATIONS, token: summary(sides[0]!), apiKey: summary(sides[1]!) };
  await report('result', result);
  await stack.stop();
  // The workflow of the one build is still in its one-hour Wait: end the process, not it.
  process.exit(0);
}

main().catch(fail);
