import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Deployable, DeployableKind, Version } from '../domain/model';
import type { DeployableStore } from '../use-cases/ports';
import { type ItemKey, keys, PARENT_INDEX, SORT_PREFIX, TABLE_KEY } from './keys';
import { isConditionFailure, type Table } from './table';

const keyOf = (kind: DeployableKind, serviceSid: string, sid: string): ItemKey =>
  kind === 'function' ? keys.function(serviceSid, sid) : keys.asset(serviceSid, sid);

/** Functions and assets with their versions. */
export class DeployableTable implements DeployableStore {
  constructor(private readonly table: Table) {}

  async insert(kind: DeployableKind, deployable: Deployable): Promise<void> {
    await this.table.client.send(new PutCommand(this.table.newItem(keyOf(kind, deployable.service_sid, deployable.sid), deployable)));
  }

  rename(kind: DeployableKind, deployable: Deployable, friendlyName: string, now: Date): Promise<Deployable | undefined> {
    return this.table.update<Deployable>(keyOf(kind, deployable.service_sid, deployable.sid), deployable.account_sid, {
      friendly_name: friendlyName,
      date_updated: now.toISOString(),
    });
  }

  /**
   * Deletes a function or asset of this account and all its versions; the versions' content
   * object keys, for the caller to delete. Undefined when the account has no such item. The
   * versions are found with a strongly consistent Query of the service partition (not the
   * eventually consistent `ByParent` index), so a version written just before is deleted too.
   */
  async delete(kind: DeployableKind, deployable: Deployable): Promise<string[] | undefined> {
    const key = keyOf(kind, deployable.service_sid, deployable.sid);
    try {
      await this.table.client.send(new DeleteCommand(this.table.ownedBy(key, deployable.account_sid)));
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
    const [prefix, parent] =
      kind === 'function' ? [SORT_PREFIX.functionVersion, keys.functionParent(deployable.sid)] : [SORT_PREFIX.assetVersion, keys.assetParent(deployable.sid)];
    const versions = await this.table.queryAll<ItemKey & { object_key?: string }>({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#parent = :parent',
      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey, '#sk': TABLE_KEY.sortKey, '#parent': PARENT_INDEX.partitionKey },
      ExpressionAttributeValues: { ':pk': key.PK, ':prefix': prefix, ':parent': parent },
      ProjectionExpression: '#pk, #sk, object_key',
      ConsistentRead: true,
    });
    await this.table.batchDelete(versions.map(({ PK, SK }) => ({ PK, SK })));
    return versions.flatMap((version) => (version.object_key ? [version.object_key] : []));
  }

  /**
   * Writes a new version, with its `ByParent` index key, in one transaction with a check that its
   * function or asset still exists: no version is ever written under a deleted parent, even by an
   * upload racing the delete.
   */
  async insertVersion(version: Version): Promise<'inserted' | 'parent-missing'> {
    const [key, parentKey, parent] =
      'function_sid' in version
        ? [
            keys.functionVersion(version.service_sid, version.sid),
            keys.function(version.service_sid, version.function_sid),
            keys.functionParent(version.function_sid),
          ]
        : [keys.assetVersion(version.service_sid, version.sid), keys.asset(version.service_sid, version.asset_sid), keys.assetParent(version.asset_sid)];
    return (await this.table.insertUnder(parentKey, key, version, parent)) ? 'inserted' : 'parent-missing';
  }
}
