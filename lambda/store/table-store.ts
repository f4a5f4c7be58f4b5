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
  ApiKeyItem,
  AssetItem,
  AssetVersionItem,
  BuildItem,
  DeploymentItem,
  EnvironmentItem,
  FunctionItem,
  FunctionVersionItem,
  IdempotencyItem,
  RateWindowItem,
  ReservationItem,
  ServiceItem,
  ServiceNameItem,
  VariableItem,
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
  /**
   * Key the service's children by `serviceSid` without reading the service item itself: for a
   * route whose child item names its account (a build), so that ownership is checked on it.
   */
  withoutService?: boolean;
  buildSid?: string;
  environmentSid?: string;
  /** A variable or deployment of `environmentSid`. */
  variableSid?: string;
  deploymentSid?: string;
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
  environment?: EnvironmentItem;
  variable?: VariableItem;
  deployment?: DeploymentItem;
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
  /** The build a live record of this key names, when that build is dead (lambda/domain/guards.ts isDeadBuild): the key is rebound. */
  replacing?: string;
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
   * `abortSignal` cancels the read (a caller's per-attempt timeout).
   */
  async loadContext(query: ContextQuery, options: { abortSignal?: AbortSignal } = {}): Promise<RequestContext> {
    const { accountSid, serviceSid = '', buildSid, environmentSid = '', variableSid, deploymentSid, functionSid, assetSid } = query;
    const { functionVersionSids = [], assetVersionSids = [] } = query;
    const wanted = new Map<string, ItemKey>();
    const add = (key: ItemKey) => wanted.set(keyId(key), key);
    add(keys.account(accountSid));
    if (serviceSid && !query.withoutService) add(keys.service(accountSid, serviceSid));
    if (buildSid) add(keys.build(serviceSid, buildSid));
    if (environmentSid) add(keys.environment(serviceSid, environmentSid));
    if (variableSid) add(keys.variable(serviceSid, environmentSid, variableSid));
    if (deploymentSid) add(keys.deployment(serviceSid, environmentSid, deploymentSid));
    if (functionSid) add(keys.function(serviceSid, functionSid));
    if (assetSid) add(keys.asset(serviceSid, assetSid));
    for (const sid of functionVersionSids) add(keys.functionVersion(serviceSid, sid));
    for (const sid of assetVersionSids) add(keys.assetVersion(serviceSid, sid));
    if (query.idempotencyKeyHash) add(keys.idempotency(accountSid, query.idempotencyKeyHash));
    if (query.countHour !== undefined) add(keys.rateWindow(accountSid, query.countHour));

    const found = await this.batchGet([...wanted.values()], options.abortSignal);
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
      service: serviceSid && !query.withoutService ? item<ServiceItem>(keys.service(accountSid, serviceSid)) : undefined,
      build: buildSid ? item<BuildItem>(keys.build(serviceSid, buildSid)) : undefined,
      environment: environmentSid ? item<EnvironmentItem>(keys.environment(serviceSid, environmentSid)) : undefined,
      variable: variableSid ? item<VariableItem>(keys.variable(serviceSid, environmentSid, variableSid)) : undefined,
      deployment: deploymentSid ? item<DeploymentItem>(keys.deployment(serviceSid, environmentSid, deploymentSid)) : undefined,
      function: functionSid ? item<FunctionItem>(keys.function(serviceSid, functionSid)) : undefined,
      asset: assetSid ? item<AssetItem>(keys.asset(serviceSid, assetSid)) : undefined,
      functionVersions: collect<FunctionVersionItem>(functionVersionSids, (sid) => keys.functionVersion(serviceSid, sid)),
      assetVersions: collect<AssetVersionItem>(assetVersionSids, (sid) => keys.assetVersion(serviceSid, sid)),
      idempotency: query.idempotencyKeyHash ? item<IdempotencyItem>(keys.idempotency(accountSid, query.idempotencyKeyHash)) : undefined,
      buildsThisHour: query.countHour === undefined ? 0 : (item<RateWindowItem>(keys.rateWindow(accountSid, query.countHour))?.build_count ?? 0),
    };
  }

  /**
   * An API key by its SID, read strongly consistent: a key revoked a moment ago is gone. The one
   * read an API key adds to a request, before `loadContext` with the key's account.
   */
  async getApiKey(apiKeySid: string): Promise<ApiKeyItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.apiKey(apiKeySid), ConsistentRead: true }));
    return result.Item as ApiKeyItem | undefined;
  }

  /** Writes a new account (listed through `ByParent`); never overwrites one. */
  async insertAccount(account: AccountItem): Promise<void> {
    await this.client.send(new PutCommand(this.newItem(keys.account(account.sid), { ...account, [PARENT_INDEX.partitionKey]: keys.accountsParent() })));
  }

  /** One account, read consistently. */
  async getAccount(accountSid: string): Promise<AccountItem | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keys.account(accountSid), ConsistentRead: true }));
    return result.Item as AccountItem | undefined;
  }

  /** Every account written by `insertAccount` or the seed, from the `ByParent` index (no Scan). */
  async listAccounts(): Promise<AccountItem[]> {
    return this.queryAll<AccountItem>(keys.accountsParent());
  }

  /** Replaces an account's auth token hash; false when there is no such account. The old token stops working at once for consistent readers. */
  async setAuthTokenHash(accountSid: string, hash: Pick<AccountItem, 'auth_token_salt' | 'auth_token_hash'>, now: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.account(accountSid),
          UpdateExpression: 'SET auth_token_salt = :salt, auth_token_hash = :hash, date_updated = :now',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
          ExpressionAttributeValues: { ':salt': hash.auth_token_salt, ':hash': hash.auth_token_hash, ':now': now.toISOString() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Writes a new API key, listed under its account through `ByParent`, in one transaction with a check that the account exists. */
  async insertApiKey(key: ApiKeyItem): Promise<'inserted' | 'account-missing'> {
    const inserted = await this.insertUnder(keys.account(key.account_sid), keys.apiKey(key.sid), key, keys.apiKeysParent(key.account_sid));
    return inserted ? 'inserted' : 'account-missing';
  }

  /** An account's API keys, from the `ByParent` index. */
  async listApiKeys(accountSid: string): Promise<ApiKeyItem[]> {
    return this.queryAll<ApiKeyItem>(keys.apiKeysParent(accountSid));
  }

  /** Deletes an API key: the next request with it gets 401 (`getApiKey` reads consistently). The deleted key, or undefined when there was none. */
  async deleteApiKey(apiKeySid: string): Promise<ApiKeyItem | undefined> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: keys.apiKey(apiKeySid), ReturnValues: 'ALL_OLD' }));
    return result.Attributes as ApiKeyItem | undefined;
  }

  /** Every item of a `ByParent` partition, page after page, in SID (creation) order. */
  private async queryAll<T extends { sid: string }>(parent: string): Promise<T[]> {
    const found: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: PARENT_INDEX.name,
          KeyConditionExpression: '#parent = :parent',
          ExpressionAttributeNames: { '#parent': PARENT_INDEX.partitionKey },
          ExpressionAttributeValues: { ':parent': parent },
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as T[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found.sort((a, b) => a.sid.localeCompare(b.sid));
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

  /**
   * Writes a new version, with its `ByParent` index key, in one transaction with a check that its
   * function or asset still exists: no version is ever written under a deleted parent, even by an
   * upload racing the delete. `parent-missing` when the parent is gone.
   */
  async insertVersion(version: FunctionVersionItem | AssetVersionItem): Promise<'inserted' | 'parent-missing'> {
    const [key, parentKey, parent] =
      'function_sid' in version
        ? [
            keys.functionVersion(version.service_sid, version.sid),
            keys.function(version.service_sid, version.function_sid),
            keys.functionParent(version.function_sid),
          ]
        : [keys.assetVersion(version.service_sid, version.sid), keys.asset(version.service_sid, version.asset_sid), keys.assetParent(version.asset_sid)];
    return (await this.insertUnder(parentKey, key, version, parent)) ? 'inserted' : 'parent-missing';
  }

  /**
   * Writes a new item with its `ByParent` index key, in one transaction with a check that
   * `existing` (what it belongs to) is there; false, and nothing written, when it is not.
   */
  private async insertUnder(existing: ItemKey, key: ItemKey, item: object, parent: string): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
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
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
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
    const toDelete = await this.keysUnder(keys.servicePartition(service.sid));
    await this.batchDelete(toDelete);
    return true;
  }

  /**
   * Deletes a function or asset of this account and all its versions; the versions' content
   * object keys, for the caller to delete. Undefined when the account has no such item. The
   * versions are found with a strongly consistent Query of the service partition (not the
   * eventually consistent `ByParent` index), so a version written just before is deleted too.
   */
  async deleteWithVersions(key: ItemKey, accountSid: string, versionPrefix: string, parent: string): Promise<string[] | undefined> {
    try {
      await this.client.send(new DeleteCommand(this.ownedBy(key, accountSid)));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    const found: Array<ItemKey & { object_key?: string }> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          FilterExpression: '#parent = :parent',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey, '#parent': PARENT_INDEX.partitionKey },
          ExpressionAttributeValues: { ':pk': key.PK, ':prefix': versionPrefix, ':parent': parent },
          ProjectionExpression: '#pk, #sk, object_key',
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as typeof found));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    await this.batchDelete(found.map(({ PK, SK }) => ({ PK, SK })));
    return found.flatMap((version) => (version.object_key ? [version.object_key] : []));
  }

  /**
   * Writes a new environment and reserves its unique name and domain suffix in the service, in
   * one transaction; which one is taken when another environment has it.
   */
  async insertEnvironment(environment: EnvironmentItem): Promise<'inserted' | 'name-taken' | 'suffix-taken'> {
    const reservation: ReservationItem = { sid: environment.sid };
    const puts = [
      { Put: this.newItem(keys.environmentName(environment.service_sid, environment.unique_name), reservation) },
      // No suffix is reserved too: a service has one environment on its bare domain base.
      { Put: this.newItem(keys.environmentSuffix(environment.service_sid, environment.domain_suffix ?? ''), reservation) },
      { Put: this.newItem(keys.environment(environment.service_sid, environment.sid), environment) },
    ];
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: puts }));
      return 'inserted';
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'name-taken';
      if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'suffix-taken';
      throw error;
    }
  }

  /**
   * Deletes an environment with its reservations (the API forgets it at once), then its
   * variables and deployments, and lets the build it pointed to expire again if no other
   * environment points to it. False when the account has no such environment.
   */
  async deleteEnvironment(environment: EnvironmentItem, buildExpiresAt: number): Promise<'deleted' | 'missing' | 'changed'> {
    const { service_sid: serviceSid } = environment;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // Only as read: a deployment committed meanwhile would leave its build marked deployed here.
              Delete: {
                TableName: this.tableName,
                Key: keys.environment(serviceSid, environment.sid),
                ConditionExpression: `account_sid = :account AND ${environment.build_sid ? 'build_sid = :build' : 'attribute_not_exists(build_sid)'}`,
                ExpressionAttributeValues: { ':account': environment.account_sid, ...(environment.build_sid ? { ':build': environment.build_sid } : {}) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Delete: { TableName: this.tableName, Key: keys.environmentName(serviceSid, environment.unique_name) } },
            { Delete: { TableName: this.tableName, Key: keys.environmentSuffix(serviceSid, environment.domain_suffix ?? '') } },
          ],
        }),
      );
    } catch (error) {
      const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      if (reason?.Code === 'ConditionalCheckFailed') return reason.Item ? 'changed' : 'missing';
      throw error;
    }
    const children: ItemKey[] = [];
    for (const prefix of SORT_PREFIX.environmentChildren(environment.sid)) children.push(...(await this.keysUnder(keys.servicePartition(serviceSid), prefix)));
    await this.batchDelete(children);
    if (environment.build_sid) {
      await this.client
        .send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.build(serviceSid, environment.build_sid),
            UpdateExpression: 'DELETE deployed_to :environment',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
            ExpressionAttributeValues: { ':environment': new Set([environment.sid]) },
          }),
        )
        .catch((error: unknown) => {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        });
      await this.releaseBuild(serviceSid, environment.build_sid, buildExpiresAt);
    }
    return 'deleted';
  }

  /** Writes a new variable and reserves its key in the environment; `key-taken` when another variable has it. */
  async insertVariable(variable: VariableItem): Promise<'inserted' | 'key-taken'> {
    const reservation: ReservationItem = { sid: variable.sid };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.newItem(keys.variableKey(variable.service_sid, variable.environment_sid, variable.key), reservation) },
            { Put: this.newItem(keys.variable(variable.service_sid, variable.environment_sid, variable.sid), variable) },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'key-taken';
      throw error;
    }
  }

  /**
   * Writes a variable's new key and value; a new key moves its reservation in the same
   * transaction. `key-taken` when another variable of the environment has the new key, `missing`
   * when the variable is gone.
   */
  async updateVariable(current: VariableItem, next: VariableItem): Promise<'updated' | 'key-taken' | 'missing'> {
    const { service_sid: serviceSid, environment_sid: environmentSid } = current;
    const keyChanges = next.key !== current.key;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.variable(serviceSid, environmentSid, current.sid), ...next },
                ConditionExpression: 'account_sid = :account AND #key = :key',
                ExpressionAttributeNames: { '#key': 'key' },
                ExpressionAttributeValues: { ':account': current.account_sid, ':key': current.key },
              },
            },
            ...(keyChanges
              ? [
                  { Put: this.newItem(keys.variableKey(serviceSid, environmentSid, next.key), { sid: current.sid } satisfies ReservationItem) },
                  { Delete: { TableName: this.tableName, Key: keys.variableKey(serviceSid, environmentSid, current.key) } },
                ]
              : []),
          ],
        }),
      );
      return 'updated';
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'missing';
      if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'key-taken';
      throw error;
    }
  }

  /** Deletes a variable and its key reservation; false when the account has no such variable. */
  async deleteVariable(variable: VariableItem): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: this.ownedBy(keys.variable(variable.service_sid, variable.environment_sid, variable.sid), variable.account_sid) },
            { Delete: { TableName: this.tableName, Key: keys.variableKey(variable.service_sid, variable.environment_sid, variable.key) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  /**
   * Deploys a build into an environment in one transaction: the deployment is written, the
   * environment points to the build (unless another deployment changed it meanwhile:
   * `conflict`), the build is marked deployed there and stops expiring (unless it is no longer
   * `completed`: `not-completed`), and the previous build is no longer deployed there. The
   * previous build then expires again at `previousExpiresAt` if no environment points to it.
   */
  async deploy(environment: EnvironmentItem, deployment: DeploymentItem, previousExpiresAt: number): Promise<'deployed' | 'conflict' | 'not-completed'> {
    const { service_sid: serviceSid } = environment;
    const previous = environment.build_sid;
    const here = new Set([environment.sid]);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.newItem(keys.deployment(serviceSid, environment.sid, deployment.sid), deployment) },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.environment(serviceSid, environment.sid),
                UpdateExpression: 'SET build_sid = :build, date_updated = :now',
                ConditionExpression: `account_sid = :account AND ${previous ? 'build_sid = :previous' : 'attribute_not_exists(build_sid)'}`,
                ExpressionAttributeValues: {
                  ':build': deployment.build_sid,
                  ':now': deployment.date_created,
                  ':account': environment.account_sid,
                  ...(previous ? { ':previous': previous } : {}),
                },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: keys.build(serviceSid, deployment.build_sid),
                UpdateExpression: 'ADD deployed_to :here REMOVE expires_at',
                ConditionExpression: '#status = :completed',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':here': here, ':completed': 'completed' },
              },
            },
            ...(previous && previous !== deployment.build_sid
              ? [
                  {
                    Update: {
                      TableName: this.tableName,
                      Key: keys.build(serviceSid, previous),
                      UpdateExpression: 'DELETE deployed_to :here',
                      ConditionExpression: 'attribute_exists(#pk)',
                      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
                      ExpressionAttributeValues: { ':here': here },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (error) {
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      if (reasons[1]?.Code === 'ConditionalCheckFailed') return 'conflict';
      if (reasons[2]?.Code === 'ConditionalCheckFailed') return 'not-completed';
      throw error;
    }
    if (previous && previous !== deployment.build_sid) await this.releaseBuild(serviceSid, previous, previousExpiresAt);
    return 'deployed';
  }

  /** A build no environment points to expires again (DynamoDB TTL); a no-op while one does. */
  private async releaseBuild(serviceSid: string, buildSid: string, expiresAt: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.build(serviceSid, buildSid),
          UpdateExpression: 'SET expires_at = :expires',
          ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(deployed_to)',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
          ExpressionAttributeValues: { ':expires': expiresAt },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The keys of every item of a partition under a sort-key prefix. */
  private async keysUnder(partition: string, prefix?: string): Promise<ItemKey[]> {
    const found: ItemKey[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey },
          ExpressionAttributeValues: { ':pk': partition, ...(prefix ? { ':prefix': prefix } : {}) },
          ProjectionExpression: '#pk, #sk',
          ExclusiveStartKey: startKey,
        }),
      );
      found.push(...((page.Items ?? []) as ItemKey[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found;
  }

  /**
   * Deletes a build of this account unless an environment points to it: `missing` when there is
   * no such build, `deployed` when it is some environment's current build (nothing is deleted).
   */
  async deleteBuild(accountSid: string, serviceSid: string, buildSid: string): Promise<'deleted' | 'missing' | 'deployed'> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.build(serviceSid, buildSid),
          ConditionExpression: 'account_sid = :account AND attribute_not_exists(deployed_to)',
          ExpressionAttributeValues: { ':account': accountSid },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'deleted';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item as { account_sid?: { S?: string }; deployed_to?: unknown } | undefined;
      return old?.account_sid?.S === accountSid && old.deployed_to ? 'deployed' : 'missing';
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

  private async batchGet(allKeys: ItemKey[], abortSignal?: AbortSignal): Promise<Map<string, Record<string, unknown>>> {
    const chunks: ItemKey[][] = [];
    for (let i = 0; i < allKeys.length; i += BATCH_GET_LIMIT) chunks.push(allKeys.slice(i, i + BATCH_GET_LIMIT));
    const found = new Map<string, Record<string, unknown>>();
    await Promise.all(
      chunks.map(async (chunk) => {
        let pending: ItemKey[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > UNPROCESSED_RETRIES) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10));
          const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }), { abortSignal });
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
