import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Build, IdempotencyRecord } from '../domain/model';
import type { BuildStore, IdempotencyGuard } from '../use-cases/ports';
import { keys, TABLE_KEY } from './keys';
import { failedConditionAt, isConditionFailure, type Table } from './table';

/** Builds and the Idempotency-Key records bound to them. */
export class BuildTable implements BuildStore {
  constructor(private readonly table: Table) {}

  /**
   * Writes a new build, never overwriting an item. With an Idempotency-Key, the build and the
   * key's record go in one TransactWriteItems, so that both land or neither.
   */
  async insert(build: Build, idempotency?: IdempotencyGuard): Promise<'inserted' | 'idempotency-key-taken'> {
    const buildPut = this.table.newItem(keys.build(build.service_sid, build.sid), build);
    if (!idempotency) {
      await this.table.client.send(new PutCommand(buildPut));
      return 'inserted';
    }
    const record: IdempotencyRecord = {
      build_sid: build.sid,
      service_sid: build.service_sid,
      request_hash: idempotency.requestHash,
      expires_at: idempotency.expiresAt,
    };
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: buildPut },
            {
              Put: {
                TableName: this.table.name,
                Item: { ...keys.idempotency(build.account_sid, idempotency.keyHash), ...record },
                // An expired record may linger until DynamoDB's TTL removes it: it no longer counts.
                // A record of a dead build is replaced, only while it still names that build.
                ConditionExpression: `attribute_not_exists(#pk) OR expires_at < :now${idempotency.replacing ? ' OR build_sid = :dead' : ''}`,
                ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
                ExpressionAttributeValues: {
                  ':now': Math.floor(idempotency.now.getTime() / 1000),
                  ...(idempotency.replacing ? { ':dead': idempotency.replacing } : {}),
                },
              },
            },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      if (failedConditionAt(error) === 1) return 'idempotency-key-taken';
      throw error;
    }
  }

  async getIdempotency(accountSid: string, keyHash: string, now: Date): Promise<IdempotencyRecord | undefined> {
    const result = await this.table.client.send(
      new GetCommand({ TableName: this.table.name, Key: keys.idempotency(accountSid, keyHash), ConsistentRead: true }),
    );
    const record = result.Item as IdempotencyRecord | undefined;
    return record && record.expires_at >= Math.floor(now.getTime() / 1000) ? record : undefined;
  }

  async get(serviceSid: string, buildSid: string): Promise<Build | undefined> {
    const result = await this.table.client.send(new GetCommand({ TableName: this.table.name, Key: keys.build(serviceSid, buildSid), ConsistentRead: true }));
    return result.Item as Build | undefined;
  }

  /**
   * Deletes a build of this account unless an environment points to it: `missing` when there is
   * no such build, `deployed` when it is some environment's current build (nothing is deleted).
   */
  async delete(accountSid: string, serviceSid: string, buildSid: string): Promise<'deleted' | 'missing' | 'deployed'> {
    try {
      await this.table.client.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: keys.build(serviceSid, buildSid),
          ConditionExpression: 'account_sid = :account AND attribute_not_exists(deployed_to)',
          ExpressionAttributeValues: { ':account': accountSid },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'deleted';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = (error as { Item?: { account_sid?: { S?: string }; deployed_to?: unknown } }).Item;
      return old?.account_sid?.S === accountSid && old.deployed_to ? 'deployed' : 'missing';
    }
  }
}

/** A build no environment points to expires again (DynamoDB TTL) at `expiresAt`; a no-op while one does, or when it is gone. */
export async function releaseBuild(table: Table, serviceSid: string, buildSid: string, expiresAt: number): Promise<void> {
  try {
    await table.client.send(
      new UpdateCommand({
        TableName: table.name,
        Key: keys.build(serviceSid, buildSid),
        UpdateExpression: 'SET expires_at = :expires',
        ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(deployed_to)',
        ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
        ExpressionAttributeValues: { ':expires': expiresAt },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
