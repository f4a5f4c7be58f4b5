import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { workflowInput } from '../../lambda/domain/workflow-input';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { startStreamPoller } from '../../local/stream-poller';
import { FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { buildItems, createBuild, request, startTestStack } from '../support/stack';

/**
 * The outbox: a create only writes its build (with its Idempotency-Key, in one transaction), and
 * the table's stream starts the workflow. Each failure point of a create is tried here: whatever
 * fails, a 201 names a build that completes, and a key is bound only to a build that will.
 */
let stack: LocalStack;
let dir: string;
let checkpointFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'builds-outbox-'));
  checkpointFile = join(dir, 'checkpoint.json');
  stack = await startTestStack({ checkpointFile });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const form = { FunctionVersions: FUNCTION_VERSIONS[0]! };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const statusOf = async (sid: string) => (await buildItems(stack)).find((item) => item.sid === sid)?.status;
async function completes(sid: string) {
  await (await stack.stepFunctions.whenStarted(sid)).done;
  return statusOf(sid);
}
/** The handlers' own DynamoDB client (the stack runs the handlers in this process). */
const handlersClient = async () => (await import('../../lambda/store/client')).documentClient;

describe('crash-safe start: the build item is the outbox', () => {
  it('starts the workflow of a build written while nothing reads the stream once a poller is back, from its checkpoint: nothing replayed, nothing skipped', async () => {
    const before = await (await createBuild(stack, form)).json();
    expect(await completes(before.sid)).toBe('completed');
    await stack.poller!.caughtUp();
    await stack.poller!.stop();

    // The create never needs the workflow: it answers 201 with nothing reading the stream.
    const response = await createBuild(stack, form);
    expect(response.status).toBe(201);
    const during = await response.json();
    await sleep(800);
    expect(stack.stepFunctions.executions.has(during.sid)).toBe(false);
    expect(await statusOf(during.sid)).toBe('building');

    const starts: string[] = [];
    const poller = await startStreamPoller({
      dynamoDb: stack.dynamoDb,
      endpoint: stack.dynamoDbEndpoint,
      tableName: stack.tableName,
      checkpointFile,
      start: (input, name) => {
        starts.push(name);
        stack.stepFunctions.start(input, name);
      },
    });
    try {
      expect(await completes(during.sid)).toBe('completed');
      await poller.caughtUp();
      expect(starts).toEqual([during.sid]);
    } finally {
      await poller.stop();
    }
  });
});

describe('Idempotency-Key: bound only to a build that will complete', () => {
  // The poller above was stopped: this file's remaining builds are started by this one.
  let poller: Awaited<ReturnType<typeof startStreamPoller>>;
  beforeAll(async () => {
    poller = await startStreamPoller({
      dynamoDb: stack.dynamoDb,
      endpoint: stack.dynamoDbEndpoint,
      tableName: stack.tableName,
      checkpointFile,
      start: (input, name) => void stack.stepFunctions.start(input, name),
    });
  });
  afterAll(async () => {
    await poller?.stop();
  });
  const withKey = (key: string, body: Record<string, string> = form) => createBuild(stack, body, { headers: { 'Idempotency-Key': key } });

  it('a write that fails before it lands answers 503 and leaves the key free: the retry creates a build that completes', async () => {
    const client = await handlersClient();
    const send = client.send.bind(client);
    // The first send of the create is its read: let it through, fail the write.
    vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof TransactWriteCommand) {
        vi.mocked(client.send).mockRestore();
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      return send(command as never);
    }) as never);
    const count = (await buildItems(stack)).length;
    const failed = await withKey('fails-before-landing');
    expect(failed.status).toBe(503);
    expect((await buildItems(stack)).length).toBe(count);

    const retry = await withKey('fails-before-landing');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await completes((await retry.json()).sid)).toBe('completed');
  });

  it('a write that lands but whose answer is lost answers 503; the retry replays that build, which completes', async () => {
    const client = await handlersClient();
    const send = client.send.bind(client);
    vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof TransactWriteCommand) {
        vi.mocked(client.send).mockRestore();
        await send(command as never);
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      return send(command as never);
    }) as never);
    const lost = await withKey('lands-then-times-out');
    expect(lost.status).toBe(503);
    const [landed] = (await buildItems(stack)).filter((item) => item.status === 'building');
    expect(landed).toBeDefined();

    const retry = await withKey('lands-then-times-out');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const replayed = await retry.json();
    expect(replayed.sid).toBe(landed!.sid);
    expect(await completes(replayed.sid)).toBe('completed');
  });

  it('a build whose workflow failed (retries exhausted) frees its key: the retry gets a new build that completes, and the next retry replays it', async () => {
    const first = await (await withKey('workflow-gave-up')).json();
    await (await stack.stepFunctions.whenStarted(first.sid)).done;
    // What MarkBuildFailed writes when the workflow's retries are exhausted.
    await stack.documentClient.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.build(SERVICE, first.sid),
        UpdateExpression: 'SET #status = :failed, error_code = :code',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed', ':code': 20500 },
      }),
    );
    const retry = await withKey('workflow-gave-up');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    const second = await retry.json();
    expect(second.sid).not.toBe(first.sid);
    expect(await completes(second.sid)).toBe('completed');

    const again = await withKey('workflow-gave-up');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await again.json()).sid).toBe(second.sid);
  });

  it('a deleted build frees its key: the retry gets a new build', async () => {
    const first = await (await withKey('deleted-build')).json();
    expect((await request(first.url, { method: 'DELETE' })).status).toBe(204);
    const retry = await withKey('deleted-build');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect((await retry.json()).sid).not.toBe(first.sid);
  });

  it('a build failed by its own request (a retired runtime, 82007) is the answer: the retry replays it', async () => {
    const body = { ...form, Runtime: 'node14' };
    const first = await (await withKey('retired-runtime', body)).json();
    await (await stack.stepFunctions.whenStarted(first.sid)).done;
    expect(await statusOf(first.sid)).toBe('failed');
    const retry = await withKey('retired-runtime', body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toMatchObject({ sid: first.sid, status: 'failed' });
  });

  it('a refused request (400) binds nothing: the key is free for a valid one', async () => {
    expect((await withKey('refused-first', { FunctionVersions: 'bad' })).status).toBe(400);
    const valid = await withKey('refused-first');
    expect(valid.status).toBe(201);
    expect(valid.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe("the service's default runtime follows its newest completed build, whatever order builds complete in", () => {
  it('does not move back when an older build completes after a newer one (RecordLastCompletedRuntime: last_completed_build_sid < :sid)', async () => {
    // Nothing polls the stream now: the two workflows are started here, the newer build's first.
    const older = await (await createBuild(stack, { ...form, Runtime: 'node20' })).json();
    const newer = await (await createBuild(stack, { ...form, Runtime: 'node24' })).json();
    expect(newer.sid > older.sid).toBe(true);
    for (const build of [newer, older]) {
      const execution = stack.stepFunctions.start([workflowInput({ ...build, date_created: new Date().toISOString() })], `${build.sid}-by-hand`);
      await execution.done;
      expect(await statusOf(build.sid)).toBe('completed');
    }
    expect((await (await createBuild(stack, form)).json()).runtime).toBe('node24');
  });
});
