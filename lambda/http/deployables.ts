/** Functions and Assets: one shape, two families. Shared by the `functions` and `upload-version` functions. */
import type { VersionKind } from '../domain/resources';
import { FUNCTION_OR_ASSET_SID } from '../domain/sid';
import { notFound } from '../http/errors';
import type { ApiContext, ApiEvent } from '../http/middleware';
import { renderAsset, renderAssetVersion, renderFunction, renderFunctionVersion } from '../http/render';
import { paths } from '../http/urls';
import { tableStore } from '../store';
import type { AssetVersionItem, FunctionItem, FunctionVersionItem, ServiceItem } from '../store/items';
import { type Collection, collections } from '../store/table-store';
import { authorizeService, pathSid, versionSid } from './access';

export type AnyVersion = FunctionVersionItem | AssetVersionItem;

/** What differs between Functions and Assets: names, keys, paths and renderings. */
export interface Family {
  kind: VersionKind;
  parentParam: 'FunctionSid' | 'AssetSid';
  listKey: string;
  versionsKey: string;
  collection: (serviceSid: string) => Collection;
  versions: (serviceSid: string, parentSid: string) => Collection;
  path: (serviceSid: string) => string;
  versionsPath: (serviceSid: string, parentSid: string) => string;
  render: (item: FunctionItem, base: string) => unknown;
  renderVersion: (version: AnyVersion, base: string) => unknown;
}

export const FUNCTIONS: Family = {
  kind: 'function',
  parentParam: 'FunctionSid',
  listKey: 'functions',
  versionsKey: 'function_versions',
  collection: collections.functions,
  versions: collections.functionVersions,
  path: paths.functions,
  versionsPath: paths.functionVersions,
  render: renderFunction,
  renderVersion: (version, base) => renderFunctionVersion(version as FunctionVersionItem, base),
};

export const ASSETS: Family = {
  kind: 'asset',
  parentParam: 'AssetSid',
  listKey: 'assets',
  versionsKey: 'asset_versions',
  collection: collections.assets,
  versions: collections.assetVersions,
  path: paths.assets,
  versionsPath: paths.assetVersions,
  render: renderAsset,
  renderVersion: (version, base) => renderAssetVersion(version as AssetVersionItem, base),
};

interface Loaded {
  service: ServiceItem;
  parent: FunctionItem;
  version: AnyVersion | undefined;
}

/**
 * The service, the function or asset a path names (by `Sid` on its own routes, by
 * `FunctionSid`/`AssetSid` on its versions'), and the version when asked — all in one read, each
 * checked to be the caller's: 401 for wrong credentials, 404 for anything not in the caller's service.
 */
export async function loadDeployable(event: ApiEvent, context: ApiContext, family: Family, parentParam: string, wantVersion = false): Promise<Loaded> {
  const { accountSid } = context.credentials;
  const serviceSid = pathSid(event, 'ServiceSid');
  const parentSid = pathSid(event, parentParam, FUNCTION_OR_ASSET_SID);
  const versionSids = wantVersion ? [versionSid(event)] : undefined;
  const found = await tableStore.loadContext(
    family.kind === 'function'
      ? { accountSid, serviceSid, functionSid: parentSid, functionVersionSids: versionSids }
      : { accountSid, serviceSid, assetSid: parentSid, assetVersionSids: versionSids },
  );
  const service = authorizeService(context.credentials, found, event.rawPath);
  const parent = family.kind === 'function' ? found.function : found.asset;
  if (!parent || parent.account_sid !== accountSid) throw notFound(event.rawPath);
  if (!versionSids) return { service, parent, version: undefined };
  const version: AnyVersion | undefined = family.kind === 'function' ? found.functionVersions.get(versionSids[0]!) : found.assetVersions.get(versionSids[0]!);
  const versionParent = version && ('function_sid' in version ? version.function_sid : version.asset_sid);
  if (!version || versionParent !== parentSid) throw notFound(event.rawPath);
  return { service, parent, version };
}
