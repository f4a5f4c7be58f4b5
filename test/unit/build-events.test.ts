import { readFileSync } from 'node:fs';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import aslValidator from 'asl-validator';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILD_SORT_PREFIX, DEPLOYMENT_SORT_PREFIX, keys } from '../../lambda/store/keys';
import {
  BUILD_EVENTS_DEFINITION_FILE,
  BUILD_EVENTS_INPUT_TEMPLATE,
  buildEventsInputOfRecord,
  eventBusName,
  renderBuildEventsDefinition,
} from '../../lib/build-events';
import { applyInputTemplate } from '../../lib/build-outbox';
import { createLocalEventBus } from '../../local/event-bus';
import { type LocalStepFunctions, startLocalStepFunctions } from '../../local/step-functions';

const SERVICE = 'ZS11111111111111111111111111111111';
const BUILD = 'ZB11111111111111111111111111111111';
const ENVIRONMENT = 'ZE11111111111111111111111111111111';
const DEPLOYMENT = 'ZD11111111111111111111111111111111';
const build = {
  ...keys.build(SERVICE, BUILD),
  sid: BUILD,
  account_sid: 'AC11111111111111111111111111111111',
  service_sid: SERVICE,
  status: 'building',
  dependencies: [{ name: 'twilio', version: '5.0.0' }],
  date_updated: '2026-12-02T10:00:00.000Z',
};
const deployment = {
  ...keys.deployment(SERVICE, ENVIRONMENT, DEPLOYMENT),
  sid: DEPLOYMENT,
  account_sid: build.account_sid,
  service_sid: SERVICE,
  environment_sid: ENVIRONMENT,
  build_sid: BUILD,
  date_created: '2026-12-02T10:01:00.000Z',
};

/** A stream record with both images, as a NEW_AND_OLD_IMAGES stream hands it to Pipes. */
function record(eventName: 'INSERT' | 'MODIFY' | 'REMOVE', images: { old?: object; new?: object }) {
  const item = (images.new ?? images.old) as { PK: string; SK: string };
  const image = (value: object | undefined) => (value ? marshall(value, { removeUndefinedValues: true }) : undefined);
  return {
    eventID: '1',
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall({ PK: item.PK, SK: item.SK }),
      ...(images.new ? { NewImage: image(images.new) } : {}),
      ...(images.old ? { OldImage: image(images.old) } : {}),
      SequenceNumber: '100',
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
const keysOf = (item: { PK: string; SK: string }) => [{ PK: item.PK, SK: item.SK }];

describe('the build events pipe definition shared by the EventBridge Pipe and the local stream poller', () => {
  it('keeps a build going from building to completed or failed, and passes its key', () => {
    expect(buildEventsInputOfRecord(record('MODIFY', { old: build, new: { ...build, status: 'completed' } }))).toEqual(keysOf(build));
    expect(buildEventsInputOfRecord(record('MODIFY', { old: build, new: { ...build, status: 'failed', error_code: 82007 } }))).toEqual(keysOf(build));
  });

  it('keeps a newly inserted deployment, and passes its key', () => {
    expect(buildEventsInputOfRecord(record('INSERT', { new: deployment }))).toEqual(keysOf(deployment));
  });

  it('drops a new build, a change of other fields of a build, a removed build and a modified deployment', () => {
    expect(buildEventsInputOfRecord(record('INSERT', { new: build }))).toBeUndefined();
    const completed = { ...build, status: 'completed' };
    // Deploying a completed build adds to its deployed_to: still completed, no second event.
    expect(buildEventsInputOfRecord(record('MODIFY', { old: completed, new: { ...completed, deployed_to: new Set([ENVIRONMENT]) } }))).toBeUndefined();
    expect(buildEventsInputOfRecord(record('MODIFY', { old: build, new: { ...build, date_updated: '2026-12-02T10:00:01.000Z' } }))).toBeUndefined();
    expect(buildEventsInputOfRecord(record('REMOVE', { old: completed }))).toBeUndefined();
    expect(buildEventsInputOfRecord(record('MODIFY', { old: deployment, new: { ...deployment, date_updated: 'x' } }))).toBeUndefined();
  });

  it('drops a status change without the old image (a NEW_IMAGE stream could not tell a build ending from a later update)', () => {
    const { dynamodb, ...rest } = record('MODIFY', { old: build, new: { ...build, status: 'completed' } });
    const { OldImage: _, ...newOnly } = dynamodb;
    expect(buildEventsInputOfRecord({ ...rest, dynamodb: newOnly })).toBeUndefined();
  });

  it('drops every other item: a variable (its value is a secret), an environment, a version', () => {
    const variable = { ...keys.variable(SERVICE, ENVIRONMENT, 'ZV11111111111111111111111111111111'), value: 'secret' };
    const environment = { ...keys.environment(SERVICE, ENVIRONMENT), build_sid: BUILD };
    const version = keys.functionVersion(SERVICE, 'ZN11111111111111111111111111111111');
    for (const item of [variable, environment, version]) {
      expect(buildEventsInputOfRecord(record('INSERT', { new: item }))).toBeUndefined();
      expect(buildEventsInputOfRecord(record('MODIFY', { old: item, new: item }))).toBeUndefined();
    }
  });

  it('has a template of the keys only: paths every kept record has, whatever its kind', () => {
    expect(applyInputTemplate(BUILD_EVENTS_INPUT_TEMPLATE, record('INSERT', { new: deployment }))).toEqual({ PK: deployment.PK, SK: deployment.SK });
    expect(BUILD_EVENTS_INPUT_TEMPLATE).not.toContain('Image');
  });
});

type State = { Type: string; Resource?: string; Parameters?: Record<string, any>; Choices?: unknown[] };
const substitutions = { TableName: 'builds', EventBusName: eventBusName('test'), EventSource: 'twilio-serverless' };
const definition = renderBuildEventsDefinition(substitutions);
const states = definition.States as Record<string, State>;

describe('the build events workflow definition', () => {
  it('is valid Amazon States Language, and the validator can fail', () => {
    expect(aslValidator(definition as never).errors).toEqual([]);
    const broken = structuredClone(definition) as { States: Record<string, { Next?: string }> };
    broken.States.ReadItem!.Next = 'NoSuchState';
    expect(aslValidator(broken as never).isValid).toBe(false);
  });

  it('has a placeholder for every substitution and nothing left after it; JSONPath only', () => {
    const text = readFileSync(BUILD_EVENTS_DEFINITION_FILE, 'utf8');
    expect(new Set(text.match(/\$\{\w+\}/g))).toEqual(new Set(['${TableName}', '${EventBusName}', '${EventSource}']));
    expect(JSON.stringify(definition)).not.toMatch(/\$\{/);
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('tells builds and deployments apart by the key prefixes of lambda/store/keys.ts', () => {
    const prefixes = JSON.stringify(states.ChooseEvent!.Choices).match(/"StringMatches":"([^"]+)"/g);
    expect(new Set(prefixes)).toEqual(new Set([`"StringMatches":"${BUILD_SORT_PREFIX}*"`, `"StringMatches":"${DEPLOYMENT_SORT_PREFIX}*"`]));
  });

  it('reads only the attributes an event carries, and puts SIDs, status and dates only', () => {
    expect(states.ReadItem!.Parameters!.ProjectionExpression).toBe(
      'sid, account_sid, service_sid, #status, error_code, environment_sid, build_sid, date_created, date_updated',
    );
    const details = Object.fromEntries(
      Object.entries(states)
        .filter(([, state]) => state.Parameters?.DetailType)
        .map(([, state]) => [state.Parameters!.DetailType, Object.keys(state.Parameters!.Detail).map((key) => key.replace(/\.\$$/, ''))]),
    );
    expect(details).toEqual({
      'Build Completed': ['account_sid', 'service_sid', 'build_sid', 'status', 'date_updated'],
      'Build Failed': ['account_sid', 'service_sid', 'build_sid', 'status', 'error_code', 'date_updated'],
      'Deployment Created': ['account_sid', 'service_sid', 'environment_sid', 'deployment_sid', 'build_sid', 'date_created'],
    });
  });
});

describe('the build events workflow on the local runner', () => {
  let runner: LocalStepFunctions | undefined;
  afterEach(async () => {
    await runner?.stop();
  });
  /** The workflow against a DynamoDB stand-in that answers every GetItem with `item`, putting to `bus`. */
  async function run(item: Record<string, unknown> | undefined, bus = createLocalEventBus({ name: substitutions.EventBusName, account: '0', region: 'r' })) {
    const dynamoDb = { send: async () => (item ? { Item: marshall(item, { removeUndefinedValues: true }) } : {}) } as unknown as DynamoDBClient;
    runner = await startLocalStepFunctions({
      definition,
      stateMachineArn: 'arn:aws:states:r:0:stateMachine:Events',
      dynamoDb,
      eventBus: bus,
      retryIntervalMs: 1,
      log: () => {},
    });
    const execution = runner.start([{ PK: build.PK, SK: build.SK }]);
    await execution.done;
    return { execution, bus };
  }

  it('puts nothing for an item deleted before it is read', async () => {
    const { execution, bus } = await run(undefined);
    expect(execution.status).toBe('SUCCEEDED');
    expect(bus.events).toEqual([]);
  });

  it('puts a failed build with its error code as a number', async () => {
    const { bus } = await run({ ...build, status: 'failed', error_code: 82007 });
    expect(bus.events.map((event) => [event['detail-type'], event.detail.error_code, event.resources])).toEqual([
      ['Build Failed', 82007, ['arn:aws:states:r:0:stateMachine:Events']],
    ]);
  });

  it('fails the execution with EventBridge.FailedEntry when the entry is not put (the pipe then retries the record)', async () => {
    const elsewhere = createLocalEventBus({ name: 'another-bus', account: '0', region: 'r' });
    const { execution } = await run({ ...build, status: 'completed' }, elsewhere);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('EventBridge.FailedEntry');
    expect(elsewhere.events).toEqual([]);
  });
});
