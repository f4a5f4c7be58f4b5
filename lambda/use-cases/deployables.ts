import { createHash } from 'node:crypto';
import { ResourceNotFound } from '../domain/errors';
import type { Deployable, DeployableKind, FunctionVersion, Service, Version } from '../domain/model';
import { newDeployable, newVersion } from '../domain/resources';
import type { UploadVersionRequest } from '../domain/schema';
import { newSid } from '../domain/sid';
import type { ContentStore, DeployableStore } from './ports';

/** What the deployables' use cases need: the table's deployables and the content bucket (created on first use). */
export interface DeployableStores {
  deployables: DeployableStore;
  content: () => ContentStore;
}

/** Creates a function or an asset in a service. */
export async function createDeployable(
  deployables: DeployableStore,
  kind: DeployableKind,
  service: Service,
  friendlyName: string,
  now: Date,
): Promise<Deployable> {
  const deployable = newDeployable(service, friendlyName, now);
  await deployables.insert(kind, deployable);
  return deployable;
}

/** Renames a function or an asset. */
export async function renameDeployable(
  deployables: DeployableStore,
  kind: DeployableKind,
  deployable: Deployable,
  friendlyName: string,
  now: Date,
): Promise<Deployable> {
  const renamed = await deployables.rename(kind, deployable, friendlyName, now);
  if (!renamed) throw new ResourceNotFound(deployable.sid);
  return renamed;
}

/**
 * Deletes a function or an asset, its versions and their content. Builds keep their own snapshot
 * of the versions they were made of, so existing builds do not change.
 */
export async function deleteDeployable(stores: DeployableStores, kind: DeployableKind, deployable: Deployable): Promise<void> {
  const objectKeys = await stores.deployables.delete(kind, deployable);
  if (!objectKeys) throw new ResourceNotFound(deployable.sid);
  await stores.content().deleteMany(objectKeys);
}

/**
 * Stores an uploaded version: the content first, under a key made of SIDs and tagged
 * unreferenced, then the item that points to it (so that no item ever names missing content),
 * then the tag is cleared. If the item cannot be written the content is removed again; if the
 * process dies before, the bucket's lifecycle rule removes the still-tagged object.
 */
export async function uploadVersion(
  stores: DeployableStores,
  kind: DeployableKind,
  parent: Deployable,
  request: UploadVersionRequest,
  now: Date,
): Promise<Version> {
  const sid = newSid('ZN', now);
  const { bytes, contentType } = request.Content;
  const digest = createHash('sha256').update(bytes).digest();
  const content = stores.content();
  const objectKey = await content.put(parent.service_sid, sid, { bytes, contentType, sha256Base64: digest.toString('base64') });
  const version = newVersion(kind, parent, sid, request, { objectKey, contentType, size: bytes.length, sha256: digest.toString('hex') }, now);
  let outcome: 'inserted' | 'parent-missing';
  try {
    outcome = await stores.deployables.insertVersion(version);
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
export async function functionVersionContent(content: () => ContentStore, version: FunctionVersion): Promise<string> {
  if (!version.object_key) return '';
  return Buffer.from(await content().get(version.object_key)).toString('utf8');
}
