import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { keys } from '../../lambda/store/keys';
import { useLocalCredentials } from '../../local/backend';
import { startStreamPoller } from '../../local/stream-poller';
import { ensureTable } from '../../local/table';
import { ACCOUNT, SERVICE } from '../support/fixtures';

/**
 * The local outbox pipe when a workflow start fails: the record is read again from the stream
 * and its build started once it can be, never passed over. On DynamoDB Local's stream, with a
 * table of this file's own, read from LATEST as the stack reads a table it did not make.
 */
useLocalCredentials();
const endpoint = inject('dynamoDbEndpoint');
const dynamoDb = new DynamoDBClient({ endpoint });
const documentClient = DynamoDBDocumentClient.from(dynamoDb);
const tableName = `builds-poller-${randomUUID()}`;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'builds-poller-'));
  await ensureTable(dynamoDb, tableName);
});
afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
  rmSync(dir, { recursive: true, force: true });
});

let builds = 0;
/** Writes a new build item (the record the outbox pipe starts a workflow for); returns its SID. */
async function putBuild(): Promise<string> {
  const sid = `ZB${String(++builds).padStart(32, '0')}`;
  await documentClient.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.build(SERVICE, sid),
        sid,
        account_sid: ACCOUNT.sid,
        service_sid: SERVICE,
        runtime: 'node22',
        status: 'building',
        count_hour: 1,
        count_expires_at: 2,
      },
    }),
  );
  return sid;
}

/** A poller from LATEST whose start throws while `fails(build)` is true, recording every attempt and every start that succeeded. */
async function pollerFailing(fails: (sid: string) => boolean, checkpointFile?: string) {
  const attempts: string[] = [];
  const starts: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const poller = await startStreamPoller({
    dynamoDb,
    endpoint,
    tableName,
    startingPosition: 'LATEST',
    checkpointFile,
    idleMs: 20,
    log: (line) => lines.push(line),
    start: (_input, name) => {
      attempts.push(name);
      if (fails(name)) throw new Error('StartExecution failed');
      starts.push(name);
    },
  });
  return { poller, attempts, starts, lines };
}

describe('the stream poller when a workflow start fails', () => {
  it('retries the first record of a shard it opened at LATEST (no checkpoint yet) from that record: the build is started exactly once, and so is the next one', async () => {
    let failures = 0;
    const { poller, attempts, starts, lines } = await pollerFailing(() => failures++ === 0);
    try {
      const first = await putBuild();
      const second = await putBuild();
      await poller.caughtUp();
      expect(attempts).toEqual([first, first, second]);
      expect(starts).toEqual([first, second]);
      expect(poller.started).toBe(2);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'WARN', error: 'Error: StartExecution failed' }));
    } finally {
      await poller.stop();
    }
  });

  it('a record whose start still fails when the poller stops is retried by the next poller from the checkpoint file: started exactly once, nothing before it replayed', async () => {
    const checkpointFile = join(dir, 'checkpoint.json');
    const written = await putBuild(); // before the poller: LATEST passes it over
    let failing: string | undefined;
    const first = await pollerFailing((sid) => sid === failing, checkpointFile);
    let stuck: string;
    try {
      const handedOn = await putBuild();
      await first.poller.caughtUp();
      expect(first.starts).toEqual([handedOn]);
      failing = `ZB${String(builds + 1).padStart(32, '0')}`;
      stuck = await putBuild();
      expect(stuck).toBe(failing);
      await expect.poll(() => first.attempts.filter((sid) => sid === stuck).length, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(2);
    } finally {
      await first.poller.stop();
    }
    expect(first.starts).not.toContain(stuck);

    const next = await pollerFailing(() => false, checkpointFile);
    try {
      const after = await putBuild();
      await next.poller.caughtUp();
      expect(next.attempts).toEqual([stuck, after]);
      expect(next.starts).toEqual([stuck, after]);
      expect([...first.starts, ...next.starts]).not.toContain(written);
    } finally {
      await next.poller.stop();
    }
  });
});
