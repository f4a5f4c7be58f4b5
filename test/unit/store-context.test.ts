import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readContext } from '../../lambda/store/context';
import { keys } from '../../lambda/store/keys';
import { Table } from '../../lambda/store/table';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const SERVICE = `ZS${'1'.repeat(32)}`;
const BUILD = `ZB${'1'.repeat(32)}`;

/** A table over a client that records the keys of each BatchGetItem and finds nothing. */
function recordingStore() {
  const requested: unknown[][] = [];
  const client = {
    send: async (command: { input: { RequestItems: Record<string, { Keys: unknown[] }> } }) => {
      requested.push(command.input.RequestItems.table!.Keys);
      return { Responses: { table: [] } };
    },
  } as unknown as DynamoDBDocumentClient;
  return { table: new Table(client, 'table'), requested };
}

describe('the context read of a request', () => {
  it('reads the account, the service and the build for a build route', async () => {
    const { table, requested } = recordingStore();
    await readContext(table, { accountSid: ACCOUNT, serviceSid: SERVICE, buildSid: BUILD });
    expect(requested).toEqual([[keys.account(ACCOUNT), keys.service(ACCOUNT, SERVICE), keys.build(SERVICE, BUILD)]]);
  });

  it('reads only the account and the build without the service (Status): the build names its account', async () => {
    const { table, requested } = recordingStore();
    const found = await readContext(table, { accountSid: ACCOUNT, serviceSid: SERVICE, buildSid: BUILD, withoutService: true });
    expect(requested).toEqual([[keys.account(ACCOUNT), keys.build(SERVICE, BUILD)]]);
    expect(found.service).toBeUndefined();
  });
});
