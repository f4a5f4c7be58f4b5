import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Page, PageCursor } from '../domain/paging';
import type {
  AccountItem,
  AssetItem,
  AssetVersionItem,
  BuildItem,
  FunctionItem,
  FunctionVersionItem,
  IdempotencyItem,
  RateWindowItem,
  ServiceItem,
  ServiceNameItem,
} from './items';
import { type ItemKey, keys, PARENT_INDEX, SORT_PREFIX, TABLE_KEY } from './keys';

/** BatchGetItem takes at most 100 keys per call, BatchWriteItem 25. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

/** What one request needs to read: the caller's account plus whatever the route touches. */
export interface ContextQuery {
  accountSid: string;
  serviceSid?: string;
  buildSid?: string;
  functionSid?: string;
  assetSid?: string;
  functionVersionSids?: readonly string[];
  assetVersionSids?: readonly string[];
  /** SHA-256 of the request's Idempotency-Key, when it has one. */
  idempotencyKeyHash?: string;
  /** The clock hour whose build count to read, for the builds-per-hour limit. */
  countHour?: number;
}

export interface RequestContext {
  account?: AccountItem;
  service?: ServiceItem;
  build?: BuildItem;
  function?: FunctionItem;
  asset?: AssetItem;
  functionVersions: Map<string, FunctionVersionItem>;
  assetVersions: Map<string, AssetVersionItem>;
  idempotency?: IdempotencyItem;
  /** Builds the account created in `countHour` (0 when none). */
  buildsThisHour: number;
}

/** Record this Idempotency-Key with the build; fails if the key is already recorded (and not expired). */
export interface IdempotencyGuard {
  keyHash: string;
  requestHash: string;
  expiresAt: number;
  now: Date;
}

export type InsertOutcome = 'inserted' | 'idempotency-key-taken';

/** A listable collection: the items of one partition (of the table or of `ByParent`) under a sort-key prefix. */
export interface Collection {
  partition: string;
  prefix: string;
  /** Read from the `ByParent` index instead of the table. */
  byParent?: boolean;
  /** The full key (with the index's key when `byParent`) of an item of the collection. */
  keyOf(sid: string): Record<string, string>;
  /** Newest first (builds), else in creation order. */
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
  builds: (serviceSid: string): Collection => ({
    partition: keys.servicePartition(serviceSid),
    prefix: SORT_PREFIX.build,
    keyOf: (sid) => ({ ...keys.build(serviceSid, sid) }),
    newestFirst: true,
  }),
};

const keyId = (key: ItemKey): string => `${key.PK}|${key.SK}`;

/** DynamoDB access for the Builds API. All keys come from `keys`. */
export class TableStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Reads the account, service, build and versions a request needs in one BatchGetItem (more
   * only beyond 100 keys, in parallel). Callers authenticate and authorize with the result.
   */
  async loadContext(query: ContextQuery): Promise<RequestContext> {
    const { accountSid, serviceSid = '', buildSid, functionSid, assetSid, functionVersionSids = [], assetVersionSids = [] } = query;
    const wanted = new Map<string, ItemKey>();
    const add = (key: ItemKey) => wanted.set(keyId(key), key);
    add(keys.account(accountSid));
    if (serviceSid) add(keys.service(accountSid, serviceSid));
    if (buildSid) add(keys.build(serviceSid, buildSid));
    if (functionSid) add(keys.function(serviceSid, functionSid));
    if (assetSid) add(keys.asset(serviceSid, assetSid));
    for (const sid of functionVersionSids) add(keys.functionVersion(serviceSid, sid));
    for (const sid of assetVersionSids) add(keys.assetVersion(serviceSid, sid));
    if (query.idempotencyKeyHash) add(keys.idempotency(accountSid, query.idempotencyKeyHash));
    if (query.countHour !== undefined) add(keys.rateWindow(accountSid, query.countHour));

    const found = await this.batchGet([...wanted.values()]);
    const item = <T>(key: ItemKey) => found.get(keyId(key)) as T | undefined;
    const collect = <T>(sids: readonly string[], keyOf: (sid: string) => ItemKey) => {
      const result = new Map<string, T>();
      for (const sid of sids) {
        const version = item<T>(keyOf(sid));
        if (version) result.set(sid, version);
      }
      return result;
    };
    return {
      account: item<AccountItem>(keys.account(accountSid)),
      service: serviceSid ? item<ServiceItem>(keys.service(accountSid, serviceSid)) : undefined,
      build: buildSid ? item<BuildItem>(keys.build(serviceSid, buildSid)) : undefined,
      function: functionSid ? item<FunctionItem>(keys.function(serviceSid, functionSid)) : undefined,
      asset: assetSid ? item<AssetItem>(keys.asset(serviceSid, assetSid)) : undefined,
      functionVersions: collect<FunctionVersionItem>(functionVersionSids, (sid) => keys.functionVersion(serviceSid, sid)),
      assetVersions: collect<AssetVersionItem>(assetVersionSids, (sid) => keys.assetVersion(serviceSid, sid)),
      idempotency: query.idempotencyKeyHash ? item<IdempotencyItem>(keys.idempotency(accountSid, query.idempotencyKeyHash)) : undefined,
      buildsThisHour: query.countHour === undefined ? 0 : (item<RateWindowItem>(keys.rateWindow(accountSid, query.countHour))?.build_count ?? 0),
    };
  }

  /**
   * Writes a new build, never overwriting an item. With an Idempotency-Key, the build and the
   * key's record go in one TransactWriteItems, so that both land or neither.
   */
  async insertBuild(build: BuildItem, idempotency?: IdempotencyGuard): Promise<InsertOutcome> {
    const buildPut = {
      TableName: this.tableName,
      Item: { ...keys.build(build.service_sid, build.sid), ...build },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
    };
    if (!idempotency) {
      await this.client.send(new PutCommand(buildPut));
      return 'inserted';
    }
    const record: IdempotencyItem = {
      build_sid: build.sid,
      service_sid: build.service_sid,
      request_hash: idempotency.requestHash,
      expires_at: idempotency.expiresAt,
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: buildPut },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.idempotency(build.account_sid, idempotency.keyHash), ...record },
                // An expired record may linger until DynamoDB's TTL removes it: it no longer counts.
                ConditionExpression: 'attribute_not_exists(#pk) OR expires_at < :now',
                ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
                ExpressionAttributeValues: { ':now': Math.floor(idempotency.now.getTime() / 1000) },
              },
            },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      const keyTaken = error instanceof TransactionCanceledException && error.CancellationReasons?.[1]?.Code === 'ConditionalCheckFailed';
      if (keyTaken) return 'idempotency-key-taken';
      throw error;
    }
  }

  /** The idempotency record of a key, unless expired. */
  async getIdempotency(accountSid: string, keyHash: string, now: Date): Promise<IdempotencyItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.idempotency(accountSid, keyHash), ConsistentRead: true }));
    const record = result.Item as IdempotencyItem | undefined;
    return record && record.expires_at >= Math.floor(now.getTime() / 1000) ? record : undefined;
  }

  /** One build, read consistently. */
  async getBuild(serviceSid: string, buildSid: string): Promise<BuildItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.build(serviceSid, buildSid), ConsistentRead: true }));
    return result.Item as BuildItem | undefined;
  }

  /**
   * One page of a collection, with one Query of `pageSize` + 1 items (the extra one only tells
   * whether more follow): after the cursor's item, or before it (read the other way and
   * reversed). Callers first check that the collection's owner is the caller's: every item in
   * its partition then is too.
   */
  async queryPage<T>(collection: Collection, pageSize: number, cursor?: PageCursor): Promise<Page<T>> {
    const forward = (cursor?.direction !== 'before') !== Boolean(collection.newestFirst);
    const partitionKey = collection.byParent ? PARENT_INDEX.partitionKey : TABLE_KEY.partitionKey;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
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

  /** Every item of a collection (for deletes), read page by page. */
  private async queryAll<T>(collection: Collection): Promise<T[]> {
    const items: T[] = [];
    let cursor: PageCursor | undefined;
    for (;;) {
      const page = await this.queryPage<T & { sid: string }>(collection, 1000, cursor);
      items.push(...page.items);
      const last = page.items.at(-1);
      if (!page.more || !last) return items;
      cursor = { sid: last.sid, direction: 'after' };
    }
  }

  /**
   * Writes a new service and reserves its unique name in the account, in one transaction: both
   * land or neither. `name-taken` when another service of the account has the name.
   */
  async insertService(service: ServiceItem): Promise<'inserted' | 'name-taken'> {
    const name: ServiceNameItem = { service_sid: service.sid };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.newItem(keys.serviceName(service.account_sid, service.unique_name), name) },
            { Put: this.newItem(keys.service(service.account_sid, service.sid), service) },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'name-taken';
      throw error;
    }
  }

  /** The SID of the account's service with this unique name, if any. */
  async findServiceSid(accountSid: string, uniqueName: string): Promise<string | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.serviceName(accountSid, uniqueName) }));
    return (result.Item as ServiceNameItem | undefined)?.service_sid;
  }

  /** Writes a new function, asset or version; never overwrites an item. */
  async insert(key: ItemKey, item: object): Promise<void> {
    await this.client.send(new PutCommand(this.newItem(key, item)));
  }

  /** Writes a new version, with its `ByParent` index key. */
  async insertVersion(version: FunctionVersionItem | AssetVersionItem): Promise<void> {
    const [key, parent] =
      'function_sid' in version
        ? [keys.functionVersion(version.service_sid, version.sid), keys.functionParent(version.function_sid)]
        : [keys.assetVersion(version.service_sid, version.sid), keys.assetParent(version.asset_sid)];
    await this.insert(key, { ...version, [PARENT_INDEX.partitionKey]: parent });
  }

  /** Sets attributes of an existing item of this account; the item as it is now, or undefined if there is none. */
  async update<T>(key: ItemKey, accountSid: string, fields: Record<string, unknown>): Promise<T | undefined> {
    const entries = Object.entries(fields).filter(([, value]) => value !== undefined);
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
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
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Deletes a service and its name reservation (the API forgets the service at once: every route
   * reads it first), then everything in its partition: functions, assets, versions, builds.
   * False when the account has no such service.
   */
  async deleteService(service: ServiceItem): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { ...this.ownedBy(keys.service(service.account_sid, service.sid), service.account_sid) } },
            { Delete: { TableName: this.tableName, Key: keys.serviceName(service.account_sid, service.unique_name) } },
          ],
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
    const toDelete: ItemKey[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey },
          ExpressionAttributeValues: { ':pk': keys.servicePartition(service.sid) },
          ProjectionExpression: '#pk, #sk',
          ExclusiveStartKey: startKey,
        }),
      );
      toDelete.push(...((page.Items ?? []) as ItemKey[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await this.batchDelete(toDelete);
    return true;
  }

  /**
   * Deletes a function or asset of this account and all its versions; the versions' content
   * object keys, for the caller to delete. Undefined when the account has no such item.
   */
  async deleteWithVersions(key: ItemKey, accountSid: string, versions: Collection): Promise<string[] | undefined> {
    try {
      await this.client.send(new DeleteCommand(this.ownedBy(key, accountSid)));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    const found = await this.queryAll<(FunctionVersionItem | AssetVersionItem) & ItemKey>(versions);
    await this.batchDelete(found.map(({ PK, SK }) => ({ PK, SK })));
    return found.flatMap((version) => (version.object_key ? [version.object_key] : []));
  }

  /** Deletes a build of this account; false when there was none to delete. */
  async deleteBuild(accountSid: string, serviceSid: string, buildSid: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.build(serviceSid, buildSid),
          ConditionExpression: 'account_sid = :account',
          ExpressionAttributeValues: { ':account': accountSid },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Ends a build that is still `building` as `failed`, recording why; a no-op otherwise. */
  async markBuildFailed(serviceSid: string, buildSid: string, errorCode: number, errorMessage: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.build(serviceSid, buildSid),
          UpdateExpression: 'SET #status = :failed, date_updated = :now, error_code = :code, error_message = :message',
          ConditionExpression: '#status = :building',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':failed': 'failed',
            ':building': 'building',
            ':now': now.toISOString(),
            ':code': errorCode,
            ':message': errorMessage,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** A Put that never overwrites an item. */
  private newItem(key: ItemKey, item: object) {
    return {
      TableName: this.tableName,
      Item: { ...key, ...item },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
    };
  }

  /** A keyed request conditional on the item belonging to the account. */
  private ownedBy(key: ItemKey, accountSid: string) {
    return { TableName: this.tableName, Key: key, ConditionExpression: 'account_sid = :account', ExpressionAttributeValues: { ':account': accountSid } };
  }

  private async batchDelete(allKeys: ItemKey[]): Promise<void> {
    for (let i = 0; i < allKeys.length; i += BATCH_WRITE_LIMIT) {
      let pending = allKeys.slice(i, i + BATCH_WRITE_LIMIT).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchWriteItem left ${pending.length} deletes unprocessed`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
        const result = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: pending } }));
        pending = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof pending;
      }
    }
  }

  private async batchGet(allKeys: ItemKey[]): Promise<Map<string, Record<string, unknown>>> {
    const chunks: ItemKey[][] = [];
    for (let i = 0; i < allKeys.length; i += BATCH_GET_LIMIT) chunks.push(allKeys.slice(i, i + BATCH_GET_LIMIT));
    const found = new Map<string, Record<string, unknown>>();
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: ItemKey[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
          const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
          for (const item of result.Responses?.[this.tableName] ?? []) {
            found.set(keyId(item as ItemKey), item);
          }
          pending = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as ItemKey[];
        }
      }),
    );
    return found;
  }
}
