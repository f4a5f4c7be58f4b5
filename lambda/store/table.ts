import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  paginateQuery,
  type QueryCommandInput,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ItemKey, keyId, PARENT_INDEX, TABLE_KEY } from './keys';

/** BatchGetItem takes at most 100 keys per call, BatchWriteItem 25. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));

/**
 * The index of the first item of a TransactWriteItems that failed its condition, or undefined
 * when the error is not a transaction cancelled by a condition (then the caller rethrows it).
 */
export function failedConditionAt(error: unknown): number | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const index = (error.CancellationReasons ?? []).findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
  return index < 0 ? undefined : index;
}

/** Whether a single-item write failed its condition (and nothing else went wrong). */
export const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

/**
 * The table's plumbing shared by the aggregate modules: conditional item shapes, one paginator,
 * batch reads and deletes with their unprocessed-key retries. Keys come from `keys`.
 */
export class Table {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** A Put that never overwrites an item. */
  newItem(key: ItemKey, item: object) {
    return {
      TableName: this.name,
      Item: { ...key, ...item },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
    };
  }

  /** A keyed request conditional on the item belonging to the account. */
  ownedBy(key: ItemKey, accountSid: string) {
    return { TableName: this.name, Key: key, ConditionExpression: 'account_sid = :account', ExpressionAttributeValues: { ':account': accountSid } };
  }

  /** Every item a Query returns, page after page. */
  async queryAll<T>(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<T[]> {
    const found: T[] = [];
    for await (const page of paginateQuery({ client: this.client }, { ...input, TableName: this.name })) found.push(...((page.Items ?? []) as T[]));
    return found;
  }

  /** Every item of a `ByParent` partition, in SID (creation) order. */
  async queryParent<T extends { sid: string }>(parent: string): Promise<T[]> {
    const found = await this.queryAll<T>({
      IndexName: PARENT_INDEX.name,
      KeyConditionExpression: '#parent = :parent',
      ExpressionAttributeNames: { '#parent': PARENT_INDEX.partitionKey },
      ExpressionAttributeValues: { ':parent': parent },
    });
    return found.sort((a, b) => a.sid.localeCompare(b.sid));
  }

  /** The keys of every item of a partition, under a sort-key prefix when given. */
  keysUnder(partition: string, prefix?: string): Promise<ItemKey[]> {
    return this.queryAll<ItemKey>({
      KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey },
      ExpressionAttributeValues: { ':pk': partition, ...(prefix ? { ':prefix': prefix } : {}) },
      ProjectionExpression: '#pk, #sk',
    });
  }

  /**
   * Sets attributes of an existing item of this account; the item as it is now, or undefined if
   * there is none (or it is another account's).
   */
  async update<T>(key: ItemKey, accountSid: string, fields: Record<string, unknown>): Promise<T | undefined> {
    const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :f${index}`).join(', ')}`,
          ConditionExpression: 'account_sid = :account',
          ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name])),
          ExpressionAttributeValues: { ':account': accountSid, ...Object.fromEntries(entries.map(([, value], index) => [`:f${index}`, value])) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return result.Attributes as T;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /**
   * Writes a new item with its `ByParent` index key, in one transaction with a check that
   * `existing` (what it belongs to) is there; false, and nothing written, when it is not.
   */
  async insertUnder(existing: ItemKey, key: ItemKey, item: object, parent: string): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.name,
                Key: existing,
                ConditionExpression: 'attribute_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
              },
            },
            { Put: this.newItem(key, { ...item, [PARENT_INDEX.partitionKey]: parent }) },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionAt(error) === 0) return false;
      throw error;
    }
  }

  /** Deletes these items, 25 per BatchWriteItem, retrying what DynamoDB left unprocessed. */
  async batchDelete(allKeys: ItemKey[]): Promise<void> {
    for (let i = 0; i < allKeys.length; i += BATCH_WRITE_LIMIT) {
      let pending = allKeys.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchWriteItem left ${pending.length} deletes unprocessed`);
        if (attempt > 0) await backoff(attempt);
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.name]: pending } }));
        pending = (result.UnprocessedItems?.[this.name] ?? []) as typeof pending;
      }
    }
  }

  /**
   * Reads these items, 100 keys per BatchGetItem (the chunks in parallel), retrying what DynamoDB
   * left unprocessed; found items by `PK|SK`. `abortSignal` cancels the read.
   */
  async batchGet(allKeys: ItemKey[], abortSignal?: AbortSignal): Promise<Map<string, Record<string, unknown>>> {
    const chunks: ItemKey[][] = [];
    for (let i = 0; i < allKeys.length; i += BATCH_GET_LIMIT) chunks.push(allKeys.slice(i, i + BATCH_GET_LIMIT));
    const found = new Map<string, Record<string, unknown>>();
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: ItemKey[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
          if (attempt > 0) await backoff(attempt);
          const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending } } }), { abortSignal });
          for (const item of result.Responses?.[this.name] ?? []) found.set(keyId(item as ItemKey), item);
          pending = (result.UnprocessedKeys?.[this.name]?.Keys ?? []) as ItemKey[];
        }
      }),
    );
    return found;
  }
}
