import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AccountItem, AssetVersionItem, BuildItem, FunctionVersionItem, IdempotencyItem, RateWindowItem, ServiceItem } from './items';
import { BUILD_SORT_PREFIX, type ItemKey, keys, TABLE_KEY } from './keys';

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
const UNPROCESSED_RETRIES = 5;

/** What one request needs to read: the caller's account plus whatever the route touches. */
export interface ContextQuery {
  accountSid: string;
  serviceSid: string;
  buildSid?: string;
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

/** Where a page starts: right after (older than) or right before (newer than) a build. */
export interface PageCursor {
  sid: string;
  direction: 'after' | 'before';
}

export interface BuildPage {
  builds: BuildItem[];
  /** More builds follow in the page's direction. */
  more: boolean;
}

const keyId = (key: ItemKey): string => `${key.PK}|${key.SK}`;

/** DynamoDB access for the Builds API. All keys come from `keys`. */
export class BuildsStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Reads the account, service, build and versions a request needs in one BatchGetItem (more
   * only beyond 100 keys, in parallel). Callers authenticate and authorize with the result.
   */
  async loadContext(query: ContextQuery): Promise<RequestContext> {
    const { accountSid, serviceSid, buildSid, functionVersionSids = [], assetVersionSids = [] } = query;
    const wanted = new Map<string, ItemKey>();
    const add = (key: ItemKey) => wanted.set(keyId(key), key);
    add(keys.account(accountSid));
    add(keys.service(accountSid, serviceSid));
    if (buildSid) add(keys.build(serviceSid, buildSid));
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
      service: item<ServiceItem>(keys.service(accountSid, serviceSid)),
      build: buildSid ? item<BuildItem>(keys.build(serviceSid, buildSid)) : undefined,
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
   * One page of a service's builds, newest first, with one Query of `pageSize` + 1 items (the
   * extra one only tells whether more follow): after the cursor's build (older ones), or before
   * it (newer ones, read upwards and reversed). Callers first check that the service is the
   * caller's: every build in its partition then is too.
   */
  async listBuilds(serviceSid: string, pageSize: number, cursor?: PageCursor): Promise<BuildPage> {
    const newestFirst = cursor?.direction !== 'before';
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey },
        ExpressionAttributeValues: {
          ':pk': keys.servicePartition(serviceSid),
          ':prefix': BUILD_SORT_PREFIX,
        },
        ScanIndexForward: !newestFirst,
        // DynamoDB returns a LastEvaluatedKey whenever it stops at Limit, even with nothing after.
        Limit: pageSize + 1,
        ...(cursor ? { ExclusiveStartKey: keys.build(serviceSid, cursor.sid) } : {}),
      }),
    );
    const found = (result.Items ?? []) as BuildItem[];
    const builds = found.slice(0, pageSize);
    return { builds: newestFirst ? builds : builds.reverse(), more: found.length > pageSize };
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
