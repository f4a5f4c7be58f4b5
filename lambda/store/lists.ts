import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Page, PageCursor } from '../domain/paging';
import { keys, PARENT_INDEX, SORT_PREFIX, TABLE_KEY } from './keys';
import type { Table } from './table';

/** A listable collection: the items of one partition (of the table or of `ByParent`) under a sort-key prefix. */
export interface Collection {
  partition: string;
  prefix: string;
  /** Read from the `ByParent` index instead of the table. */
  byParent?: boolean;
  /** The full key (with the index's key when `byParent`) of an item of the collection. */
  keyOf(sid: string): Record<string, string>;
  /** Newest first (builds, deployments), else in creation order. */
  newestFirst?: boolean;
}

/** The collections the API lists, with their keys built from `keys`. */
export const collections = {
  services: (accountSid: string): Collection => ({
    partition: keys.accountPartition(accountSid),
    prefix: SORT_PREFIX.service,
    keyOf: (sid) => ({ ...keys.service(accountSid, sid) }),
  }),
  functions: (serviceSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.function,
    keyOf: (sid) => ({ ...keys.function(serviceSid, sid) }),
  }),
  assets: (serviceSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.asset,
    keyOf: (sid) => ({ ...keys.asset(serviceSid, sid) }),
  }),
  functionVersions: (serviceSid: string, functionSid: string): Collection => ({
    partition: keys.functionParent(functionSid),
    prefix: SORT_PREFIX.functionVersion,
    byParent: true,
    keyOf: (sid) => ({ ...keys.functionVersion(serviceSid, sid), [PARENT_INDEX.partitionKey]: keys.functionParent(functionSid) }),
  }),
  assetVersions: (serviceSid: string, assetSid: string): Collection => ({
    partition: keys.assetParent(assetSid),
    prefix: SORT_PREFIX.assetVersion,
    byParent: true,
    keyOf: (sid) => ({ ...keys.assetVersion(serviceSid, sid), [PARENT_INDEX.partitionKey]: keys.assetParent(assetSid) }),
  }),
  environments: (serviceSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.environment,
    keyOf: (sid) => ({ ...keys.environment(serviceSid, sid) }),
  }),
  variables: (serviceSid: string, environmentSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.variable(environmentSid),
    keyOf: (sid) => ({ ...keys.variable(serviceSid, environmentSid, sid) }),
  }),
  deployments: (serviceSid: string, environmentSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.deployment(environmentSid),
    keyOf: (sid) => ({ ...keys.deployment(serviceSid, environmentSid, sid) }),
    newestFirst: true,
  }),
  builds: (serviceSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.build,
    keyOf: (sid) => ({ ...keys.build(serviceSid, sid) }),
    newestFirst: true,
  }),
};

/**
 * One page of a collection, with one Query of `pageSize` + 1 items (the extra one only tells
 * whether more follow): after the cursor's item, or before it (read the other way and
 * reversed). Callers first check that the collection's owner is the caller's: every item in
 * its partition then is too.
 */
export async function queryPage<T>(table: Table, collection: Collection, pageSize: number, cursor?: PageCursor): Promise<Page<T>> {
  const forward = (cursor?.direction !== 'before') !== Boolean(collection.newestFirst);
  const partitionKey = collection.byParent ? PARENT_INDEX.partitionKey : TABLE_KEY.partitionKey;
  const result = await table.client.send(
    new QueryCommand({
      TableName: table.name,
      ...(collection.byParent ? { IndexName: PARENT_INDEX.name } : {}),
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': partitionKey, '#sk': TABLE_KEY.sortKey },
      ExpressionAttributeValues: { ':pk': collection.partition, ':prefix': collection.prefix },
      ScanIndexForward: forward,
      // DynamoDB returns a LastEvaluatedKey whenever it stops at Limit, even with nothing after.
      Limit: pageSize + 1,
      ...(cursor ? { ExclusiveStartKey: collection.keyOf(cursor.sid) } : {}),
    }),
  );
  const found = (result.Items ?? []) as T[];
  const items = found.slice(0, pageSize);
  return { items: cursor?.direction === 'before' ? items.reverse() : items, more: found.length > pageSize };
}
