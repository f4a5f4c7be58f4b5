/** Functions and Assets: one kind of resource each, one shape. Shared by the `functions` and `upload-version` functions. */
import type { AssetVersion, Deployable, DeployableKind, FunctionVersion, Service, Version } from '../domain/model';
import { FUNCTION_OR_ASSET_SID } from '../domain/sid';
import { type Collection, collections, readRequestContext } from '../store';
import { authorizeService, pathSid, versionSid } from './access';
import { notFound } from './errors';
import type { ApiContext, ApiEvent } from './middleware';
import { renderAsset, renderAssetVersion, renderFunction, renderFunctionVersion } from './render';
import { paths } from './urls';

/** How the API shows one kind of deployable: its path parameter, list keys, collections, paths and renderings. */
export interface DeployableResource {
  kind: DeployableKind;
  parentParam: 'FunctionSid' | 'AssetSid';
  listKey: string;
  versionsKey: string;
  collection: (serviceSid: string) => Collection;
  versions: (serviceSid: string, parentSid: string) => Collection;
  path: (serviceSid: string) => string;
  versionsPath: (serviceSid: string, parentSid: string) => string;
  render: (deployable: Deployable, base: string) => unknown;
  renderVersion: (version: Version, base: string) => unknown;
}

export const FUNCTIONS: DeployableResource = {
  kind: 'function',
  parentParam: 'FunctionSid',
  listKey: 'functions',
  versionsKey: 'function_versions',
  collection: collections.functions,
  versions: collections.functionVersions,
  path: paths.functions,
  versionsPath: paths.functionVersions,
  render: renderFunction,
  renderVersion: (version, base) => renderFunctionVersion(version as FunctionVersion, base),
};

export const ASSETS: DeployableResource = {
  kind: 'asset',
  parentParam: 'AssetSid',
  listKey: 'assets',
  versionsKey: 'asset_versions',
  collection: collections.assets,
  versions: collections.assetVersions,
  path: paths.assets,
  versionsPath: paths.assetVersions,
  render: renderAsset,
  renderVersion: (version, base) => renderAssetVersion(version as AssetVersion, base),
};

interface Loaded {
  service: Service;
  parent: Deployable;
  version: Version | undefined;
}

/**
 * The service, the function or asset a path names (by `Sid` on its own routes, by
 * `FunctionSid`/`AssetSid` on its versions'), and the version when asked — all in one read, each
 * checked to be the caller's: 401 for wrong credentials, 404 for anything not in the caller's service.
 */
export async function loadDeployable(
  event: ApiEvent,
  context: ApiContext,
  resource: DeployableResource,
  parentParam: string,
  wantVersion = false,
): Promise<Loaded> {
  const { accountSid } = context.credentials;
  const serviceSid = pathSid(event, 'ServiceSid');
  const parentSid = pathSid(event, parentParam, FUNCTION_OR_ASSET_SID);
  const versionSids = wantVersion ? [versionSid(event)] : undefined;
  const found = await readRequestContext(
    resource.kind === 'function'
      ? { accountSid, serviceSid, functionSid: parentSid, functionVersionSids: versionSids }
      : { accountSid, serviceSid, assetSid: parentSid, assetVersionSids: versionSids },
  );
  const service = authorizeService(context.credentials, found, event.rawPath);
  const parent = resource.kind === 'function' ? found.function : found.asset;
  if (!parent || parent.account_sid !== accountSid) throw notFound(event.rawPath);
  if (!versionSids) return { service, parent, version: undefined };
  const version: Version | undefined = resource.kind === 'function' ? found.functionVersions.get(versionSids[0]!) : found.assetVersions.get(versionSids[0]!);
  const versionParent = version && ('function_sid' in version ? version.function_sid : version.asset_sid);
  if (!version || versionParent !== parentSid) throw notFound(event.rawPath);
  return { service, parent, version };
}
