import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../lambda/store/keys';
import { BUILD_EVENT_SOURCE, BUILD_EVENTS_RETRY_ATTEMPTS, buildEventsInputOfRecord, renderBuildEventsDefinition } from '../../lib/build-events';
import { buildEventsPipe } from '../../local/backend';
import { createLocalEventBus } from '../../local/event-bus';
import type { LocalStack } from '../../local/stack';
import { startLocalStepFunctions } from '../../local/step-functions';
import { startStreamPoller } from '../../local/stream-poller';
import { ACCOUNT, FUNCTION_VERSIONS, SERVICE } from '../support/fixtures';
import { createEnvironment, createVariable, deployBuild, getItem } from '../support/resources';
import { buildItems, createBuild, request, startTestStack } from '../support/stack';

/**
 * A build's life on the real local pipes: DynamoDB Local's stream, the stream poller playing
 * the events pipe's filter and template (lib/build-events.ts), the events ASL run by
 * aws-local-stepfunctions, and the local bus writing its JSONL file.
 */
let stack: LocalStack;
let dir: string;
let eventsFile: string;
let checkpointFile: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'builds-events-'));
  eventsFile = join(dir, 'events.jsonl');
  checkpointFile = join(dir, 'checkpoint.json');
  stack = await startTestStack({ eventsFile, checkpointFile });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SECRET_VALUE = 'a-variable-value-never-in-an-event';

async function ended(sid: string): Promise<Record<string, unknown>> {
  await (await stack.stepFunctions.whenStarted(sid)).done;
  return (await buildItems(stack)).find((item) => item.sid === sid)!;
}

describe('build events', () => {
  it('a build completed, a build failed and a deployment yield exactly their three events, in order, with SIDs, status and date and nothing secret', async () => {
    const completed = await ended((await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).json()).sid);
    expect(completed.status).toBe('completed');
    const failed = await ended((await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]!, Runtime: 'node14' })).json()).sid);
    expect(failed.status).toBe('failed');

    const environment = await createEnvironment(stack, SERVICE, { UniqueName: 'staging', DomainSuffix: 'stage' });
    await createVariable(stack, SERVICE, environment.sid, 'API_SECRET', SECRET_VALUE);
    const deployment = await deployBuild(stack, SERVICE, environment.sid, completed.sid as string);
    // Events carry the item's dates (ISO 8601 to the millisecond); the API renders them to the second.
    const deploymentItem = await getItem(stack, `SERVICE#${SERVICE}`, `DEPLOYMENT#${environment.sid}#${deployment.sid}`);
    // Deploying modified the completed build (deployed_to) and deleting the failed one removes it: neither is an event.
    expect((await getItem(stack, `SERVICE#${SERVICE}`, `BUILD#${completed.sid}`))?.deployed_to).toBeDefined();
    // The events workflow reads the build back before it puts the event: deleting the failed build
    // before the events poller has played its status change would leave it no build to announce.
    await vi.waitFor(() => expect(stack.eventBus!.events.some((event) => event.detail.build_sid === failed.sid)).toBe(true), { timeout: 10_000, interval: 50 });
    expect((await request(`${stack.baseUrl}/v1/Services/${SERVICE}/Builds/${failed.sid}`, { method: 'DELETE' })).status).toBe(204);
    await stack.stepFunctions.drain();

    const events = stack.eventBus!.events;
    expect(events.map((event) => [event['detail-type'], event.detail])).toEqual([
      [
        'Build Completed',
        { account_sid: ACCOUNT.sid, service_sid: SERVICE, build_sid: completed.sid, status: 'completed', date_updated: completed.date_updated },
      ],
      [
        'Build Failed',
        { account_sid: ACCOUNT.sid, service_sid: SERVICE, build_sid: failed.sid, status: 'failed', error_code: 82007, date_updated: failed.date_updated },
      ],
      [
        'Deployment Created',
        {
          account_sid: ACCOUNT.sid,
          service_sid: SERVICE,
          environment_sid: environment.sid,
          deployment_sid: deployment.sid,
          build_sid: completed.sid,
          date_created: deploymentItem?.date_created,
        },
      ],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ version: '0', source: 'twilio-serverless', account: '000000000000', region: 'us-east-1' });
      expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }

    const text = readFileSync(eventsFile, 'utf8');
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
    for (const secret of [ACCOUNT.auth_token, SECRET_VALUE, 'dependencies', 'function_versions']) expect(text).not.toContain(secret);
  });
});

describe('the local events pipe when its target keeps failing', () => {
  const ENVIRONMENT = 'ZE00000000000000000000000000000001';
  it('retries a record as the pipe does, then dead-letters it and goes on with the next record', async () => {
    const attempts: string[] = [];
    const lines: Record<string, unknown>[] = [];
    const poller = await startStreamPoller({
      dynamoDb: stack.dynamoDb,
      endpoint: stack.dynamoDbEndpoint,
      tableName: stack.tableName,
      startingPosition: 'LATEST',
      idleMs: 20,
      start: () => undefined,
      log: (line) => lines.push(line),
      pipes: [
        {
          name: 'build-events',
          inputOf: buildEventsInputOfRecord,
          retryAttempts: BUILD_EVENTS_RETRY_ATTEMPTS,
          deliver: async (input) => {
            const { SK } = input[0] as { SK: string };
            attempts.push(SK);
            if (SK.endsWith('ZD00000000000000000000000000000001')) throw new Error('PutEvents failed');
          },
        },
      ],
    });
    try {
      for (const deploymentSid of ['ZD00000000000000000000000000000001', 'ZD00000000000000000000000000000002']) {
        await stack.documentClient.send(
          new PutCommand({
            TableName: stack.tableName,
            // A whole deployment item: the stack's own poller puts its event too, without errors.
            Item: {
              ...keys.deployment(SERVICE, ENVIRONMENT, deploymentSid),
              sid: deploymentSid,
              account_sid: ACCOUNT.sid,
              service_sid: SERVICE,
              environment_sid: ENVIRONMENT,
              build_sid: 'ZB00000000000000000000000000000001',
              is_plugin: false,
              date_created: new Date().toISOString(),
              date_updated: new Date().toISOString(),
            },
          }),
        );
      }
      await poller.caughtUp();
      const [failing, next] = [attempts[0]!, attempts.at(-1)!];
      expect(attempts).toEqual([...Array(1 + BUILD_EVENTS_RETRY_ATTEMPTS).fill(failing), next]);
      expect(next).not.toBe(failing);
      expect(poller.delivered).toEqual({ 'build-events': 1 });
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'ERROR', message: 'stream poller: record not delivered to build-events (dead letter)', error: 'PutEvents failed' }),
      );
    } finally {
      await poller.stop();
    }
  });
});

describe("build events across a restart of the stream poller (last: it stops the stack's poller)", () => {
  it('a build that ends while nothing reads the stream gets its event once a poller is back, from its checkpoint: nothing put again, nothing skipped', async () => {
    await stack.stepFunctions.drain();
    await stack.poller!.stop();
    const before = stack.eventBus!.events.length;

    const build = await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).json();
    // What MarkBuildCompleted writes; no workflow runs while the poller is down.
    await stack.documentClient.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key: keys.build(SERVICE, build.sid),
        UpdateExpression: 'SET #status = :completed, date_updated = :now',
        ConditionExpression: '#status = :building',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':completed': 'completed', ':building': 'building', ':now': new Date().toISOString() },
      }),
    );

    const bus = createLocalEventBus({ name: 'twilio-serverless-restart', account: '000000000000', region: 'us-east-1' });
    const eventsWorkflow = await startLocalStepFunctions({
      definition: renderBuildEventsDefinition({ TableName: stack.tableName, EventBusName: bus.name, EventSource: BUILD_EVENT_SOURCE }),
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:BuildEventsWorkflow',
      dynamoDb: stack.dynamoDb,
      eventBus: bus,
    });
    const poller = await startStreamPoller({
      dynamoDb: stack.dynamoDb,
      endpoint: stack.dynamoDbEndpoint,
      tableName: stack.tableName,
      checkpointFile,
      start: () => undefined,
      pipes: [buildEventsPipe(eventsWorkflow)],
    });
    try {
      await poller.caughtUp();
      expect(bus.events.map((event) => [event['detail-type'], event.detail.build_sid])).toEqual([['Build Completed', build.sid]]);
      expect(stack.eventBus!.events).toHaveLength(before);
    } finally {
      await poller.stop();
      await eventsWorkflow.stop();
    }
  });
});
