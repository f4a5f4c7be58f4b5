import { createHash } from 'node:crypto';
import { ResourceNotFound } from '../domain/errors';
import { newDeployable, newVersion, type VersionKind } from '../domain/resources';
import type { UploadVersionRequest } from '../domain/schema';
import { newSid } from '../domain/sid';
import type { AssetVersionItem, FunctionItem, FunctionVersionItem, ServiceItem } from '../store/items';
import { keys, SORT_PREFIX } from '../store/keys';
import type { Stores } from './ports';

const itemKey = (kind: VersionKind, serviceSid: string, sid: string) => (kind === 'function' ? keys.function(serviceSid, sid) : keys.asset(serviceSid, sid));

/** Creates a function or an asset in a service. */
export async function createDeployable(stores: Stores, kind: VersionKind, service: ServiceItem, friendlyName: string, now: Date): Promise<FunctionItem> {
  const item = newDeployable(service, friendlyName, now);
  await stores.table.insert(itemKey(kind, service.sid, item.sid), item);
  return item;
}

/** Renames a function or an asset. */
export async function updateDeployable(stores: Stores, kind: VersionKind, item: FunctionItem, friendlyName: string, now: Date): Promise<FunctionItem> {
  const updated = await stores.table.update<FunctionItem>(itemKey(kind, item.service_sid, item.sid), item.account_sid, {
    friendly_name: friendlyName,
    date_updated: now.toISOString(),
  });
  if (!updated) throw new ResourceNotFound(item.sid);
  return updated;
}

/**
 * Deletes a function or an asset, its versions and their content. Builds keep their own snapshot
 * of the versions they were made of, so existing builds do not change.
 */
export async function deleteDeployable(stores: Stores, kind: VersionKind, item: FunctionItem): Promise<void> {
  const [prefix, parent] =
    kind === 'function' ? [SORT_PREFIX.functionVersion, keys.functionParent(item.sid)] : [SORT_PREFIX.assetVersion, keys.assetParent(item.sid)];
  const objectKeys = await stores.table.deleteWithVersions(itemKey(kind, item.service_sid, item.sid), item.account_sid, prefix, parent);
  if (!objectKeys) throw new ResourceNotFound(item.sid);
  await stores.content().deleteMany(objectKeys);
}

/**
 * Stores an uploaded version: the content first, under a key made of SIDs and tagged
 * unreferenced, then the item that points to it (so that no item ever names missing content),
 * then the tag is cleared. If the item cannot be written the content is removed again; if the
 * process dies before, the bucket's lifecycle rule removes the still-tagged object.
 */
export async function uploadVersion(
  stores: Stores,
  kind: VersionKind,
  parent: FunctionItem,
  request: UploadVersionRequest,
  now: Date,
): Promise<FunctionVersionItem | AssetVersionItem> {
  const sid = newSid('ZN', now);
  const { bytes, contentType } = request.Content;
  const digest = createHash('sha256').update(bytes).digest();
  const objectKey = keys.content(parent.service_sid, sid);
  const content = stores.content();
  await content.put(objectKey, bytes, contentType, digest.toString('base64'));
  const version = newVersion(kind, parent, sid, request, { objectKey, contentType, size: bytes.length, sha256: digest.toString('hex') }, now);
  let outcome: 'inserted' | 'parent-missing';
  try {
    outcome = await stores.table.insertVersion(version);
  } catch (error) {
    await content.deleteMany([objectKey]).catch(() => undefined);
    throw error;
  }
  if (outcome === 'parent-missing') {
    // The function or asset was deleted while its version was uploading.
    await content.deleteMany([objectKey]);
    throw new ResourceNotFound(parent.sid);
  }
  // Should this fail, the version stands and its content expires: answer 5xx rather than 201.
  await content.markReferenced(objectKey);
  return version;
}

/** A function version's content as text (empty for a seeded version, which has none stored). */
export async function functionVersionContent(stores: Stores, version: FunctionVersionItem): Promise<string> {
  if (!version.object_key) return '';
  return Buffer.from(await stores.content().get(version.object_key)).toString('utf8');
}
