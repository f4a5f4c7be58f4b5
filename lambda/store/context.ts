import type { Account, AssetVersion, Build, Deployable, Deployment, Environment, FunctionVersion, IdempotencyRecord, Service, Variable } from '../domain/model';
import type { ContextQuery, RequestContext } from '../use-cases/ports';
import { type ItemKey, keyId, keys } from './keys';
import type { RateWindowItem } from './records';
import type { Table } from './table';

/**
 * Reads everything one request needs in one BatchGetItem (more only beyond 100 keys, in
 * parallel): the caller's account, and whichever of the service, build, environment, variable,
 * deployment, function, asset, versions, idempotency record and hourly build count the route
 * names. Callers authenticate and authorize with the result. `abortSignal` cancels the read (a
 * caller's per-attempt timeout).
 */
export async function readContext(table: Table, query: ContextQuery, options: { abortSignal?: AbortSignal } = {}): Promise<RequestContext> {
  const { accountSid, serviceSid = '', buildSid, environmentSid = '', variableSid, deploymentSid, functionSid, assetSid } = query;
  const { functionVersionSids = [], assetVersionSids = [] } = query;
  const wanted = new Map<string, ItemKey>();
  const want = (key: ItemKey) => {
    wanted.set(keyId(key), key);
    return key;
  };
  const accountKey = want(keys.account(accountSid));
  const serviceKey = serviceSid && !query.withoutService ? want(keys.service(accountSid, serviceSid)) : undefined;
  const buildKey = buildSid ? want(keys.build(serviceSid, buildSid)) : undefined;
  const environmentKey = environmentSid ? want(keys.environment(serviceSid, environmentSid)) : undefined;
  const variableKey = variableSid ? want(keys.variable(serviceSid, environmentSid, variableSid)) : undefined;
  const deploymentKey = deploymentSid ? want(keys.deployment(serviceSid, environmentSid, deploymentSid)) : undefined;
  const functionKey = functionSid ? want(keys.function(serviceSid, functionSid)) : undefined;
  const assetKey = assetSid ? want(keys.asset(serviceSid, assetSid)) : undefined;
  const functionVersionKeys = functionVersionSids.map((sid) => [sid, want(keys.functionVersion(serviceSid, sid))] as const);
  const assetVersionKeys = assetVersionSids.map((sid) => [sid, want(keys.assetVersion(serviceSid, sid))] as const);
  const idempotencyKey = query.idempotencyKeyHash ? want(keys.idempotency(accountSid, query.idempotencyKeyHash)) : undefined;
  const rateKey = query.countHour === undefined ? undefined : want(keys.rateWindow(accountSid, query.countHour));

  const found = await table.batchGet([...wanted.values()], options.abortSignal);
  const item = <T>(key: ItemKey | undefined) => (key ? (found.get(keyId(key)) as T | undefined) : undefined);
  const collect = <T>(entries: ReadonlyArray<readonly [string, ItemKey]>) => {
    const result = new Map<string, T>();
    for (const [sid, key] of entries) {
      const version = item<T>(key);
      if (version) result.set(sid, version);
    }
    return result;
  };
  return {
    account: item<Account>(accountKey),
    service: item<Service>(serviceKey),
    build: item<Build>(buildKey),
    environment: item<Environment>(environmentKey),
    variable: item<Variable>(variableKey),
    deployment: item<Deployment>(deploymentKey),
    function: item<Deployable>(functionKey),
    asset: item<Deployable>(assetKey),
    functionVersions: collect<FunctionVersion>(functionVersionKeys),
    assetVersions: collect<AssetVersion>(assetVersionKeys),
    idempotency: item<IdempotencyRecord>(idempotencyKey),
    buildsThisHour: item<RateWindowItem>(rateKey)?.build_count ?? 0,
  };
}
