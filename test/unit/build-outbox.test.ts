import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { newBuild } from '../../lambda/domain/build';
import { workflowInput } from '../../lambda/domain/workflow-input';
import { keys } from '../../lambda/store/keys';
import { applyInputTemplate, BUILD_INSERT_FILTER, matchesPattern, WORKFLOW_INPUT_TEMPLATE, workflowInputOfRecord } from '../../lib/build-outbox';

const build = newBuild({
  accountSid: 'AC11111111111111111111111111111111',
  serviceSid: 'ZS11111111111111111111111111111111',
  functionVersions: [],
  assetVersions: [],
  dependencies: [{ name: 'twilio', version: '5.0.0' }],
  requestedRuntime: 'node22',
  lastCompletedRuntime: undefined,
  ttlSeconds: 86_400,
  now: new Date('2026-11-27T20:30:00.000Z'),
});

/** A DynamoDB stream record as Pipes and GetRecords hand it over (DynamoDB JSON). */
function record(eventName: string, item: Record<string, unknown>) {
  const image = marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: true });
  return {
    eventID: '1',
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { PK: image.PK, SK: image.SK }, NewImage: image, SequenceNumber: '100', StreamViewType: 'NEW_IMAGE' },
  };
}
const buildItem = { ...keys.build(build.service_sid, build.sid), ...build };

describe('the outbox definition shared by the EventBridge Pipe and the local stream poller', () => {
  it("maps an inserted build's new image to exactly the workflow input, as a batch of one", () => {
    expect(workflowInputOfRecord(record('INSERT', buildItem))).toEqual([workflowInput(build)]);
    expect(applyInputTemplate(WORKFLOW_INPUT_TEMPLATE, record('INSERT', buildItem))).toEqual(workflowInput(build));
  });

  it('keeps inserted build items only: not their updates or removals, nor other items', () => {
    expect(matchesPattern(BUILD_INSERT_FILTER as never, record('INSERT', buildItem))).toBe(true);
    expect(workflowInputOfRecord(record('MODIFY', { ...buildItem, status: 'completed' }))).toBeUndefined();
    expect(workflowInputOfRecord(record('REMOVE', buildItem))).toBeUndefined();
    const version = { ...keys.functionVersion(build.service_sid, 'ZN00000000000000000000000000000001'), sid: 'ZN00000000000000000000000000000001' };
    expect(workflowInputOfRecord(record('INSERT', version))).toBeUndefined();
    const rateCount = { PK: `ACCOUNT#${build.account_sid}`, SK: 'RATE#493000', build_count: 1 };
    expect(workflowInputOfRecord(record('INSERT', rateCount))).toBeUndefined();
  });

  it('fails on a record the template cannot fill (as the pipe does), instead of starting a workflow with holes', () => {
    const { count_hour: _, ...withoutHour } = buildItem;
    expect(() => workflowInputOfRecord(record('INSERT', withoutHour))).toThrow(/count_hour/);
  });

  it('substitutes a quoted placeholder with the text of the value, an unquoted one with the JSON value', () => {
    const event = { a: { s: 'x"y', n: 3, o: { k: [1] } } };
    expect(applyInputTemplate('{"s": "<$.a.s>", "n": <$.a.n>, "o": <$.a.o>}', event)).toEqual({ s: 'x"y', n: 3, o: { k: [1] } });
  });

  it('matches exact values and prefixes as EventBridge patterns do', () => {
    const pattern = { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { SK: { S: [{ prefix: 'BUILD#' }] } } } };
    expect(matchesPattern(pattern, { eventName: 'MODIFY', dynamodb: { Keys: { SK: { S: 'BUILD#ZB1' } } } })).toBe(true);
    expect(matchesPattern(pattern, { eventName: 'INSERT', dynamodb: { Keys: { SK: { S: 'XBUILD#ZB1' } } } })).toBe(false);
    expect(matchesPattern(pattern, { eventName: 'INSERT', dynamodb: { Keys: {} } })).toBe(false);
  });
});
