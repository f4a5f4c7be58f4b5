import { newBuild, requireVersions } from '../domain/build';
import { IdempotencyKeyReused, RateLimited, ResourceInUse, ResourceNotFound, RetryShortly } from '../domain/errors';
import { IDEMPOTENCY_WINDOW_SECONDS, isDeadBuild, isLive, requestFingerprint } from '../domain/idempotency';
import type { Build, IdempotencyRecord, Service } from '../domain/model';
import { hourOf, secondsUntilNextHour } from '../domain/rate-limit';
import type { CreateBuildRequest } from '../domain/schema';
import type { BuildStore, ContextQuery, RequestContext } from './ports';

/** How builds are made in this deployment. */
export interface BuildPolicy {
  /** Seconds until an undeployed build expires. */
  ttlSeconds: number;
  /** Builds an account may create per clock hour; 0: no limit. */
  rateLimitPerHour: number;
}

/** What a Create Build reads in its one request: account, service, versions, the key's record, the hour's count. */
export function createBuildReads(
  policy: BuildPolicy,
  request: { accountSid: string; serviceSid: string; body: CreateBuildRequest | undefined; idempotencyKeyHash: string | undefined; now: Date },
): ContextQuery {
  return {
    accountSid: request.accountSid,
    serviceSid: request.serviceSid,
    functionVersionSids: request.body?.FunctionVersions,
    assetVersionSids: request.body?.AssetVersions,
    idempotencyKeyHash: request.idempotencyKeyHash,
    ...(policy.rateLimitPerHour > 0 ? { countHour: hourOf(request.now) } : {}),
  };
}

export interface CreateBuildInput {
  service: Service;
  body: CreateBuildRequest;
  /** What `createBuildReads` found. */
  found: Pick<RequestContext, 'functionVersions' | 'assetVersions' | 'idempotency' | 'buildsThisHour'>;
  idempotencyKeyHash: string | undefined;
  now: Date;
}

/**
 * The build a recorded Idempotency-Key names, to answer the same request again; undefined when
 * that build is dead (deleted, expired, or failed by this service), so that the key is rebound
 * to a new build. A key reused with another request is IdempotencyKeyReused.
 */
async function boundBuild(builds: BuildStore, record: IdempotencyRecord, requestHash: string): Promise<Build | undefined> {
  if (record.request_hash !== requestHash) throw new IdempotencyKeyReused();
  const build = await builds.get(record.service_sid, record.build_sid);
  return isDeadBuild(build) ? undefined : build;
}

/**
 * Creates a build, or answers with the build an Idempotency-Key is bound to (`replayed`).
 * RateLimited past the account's builds per hour; IdempotencyKeyReused for a key sent with
 * another request; InvalidInput for versions the service does not have.
 */
export async function createBuild(builds: BuildStore, policy: BuildPolicy, input: CreateBuildInput): Promise<{ build: Build; replayed: boolean }> {
  const { service, body, found, now } = input;
  // Only a request with a key is compared with an earlier one.
  const key = input.idempotencyKeyHash === undefined ? undefined : { keyHash: input.idempotencyKeyHash, requestHash: requestFingerprint(service.sid, body) };
  // A live key answers with its build, unless that build is dead: then the key is rebound below.
  let deadBuildSid: string | undefined;
  if (key && isLive(found.idempotency, now)) {
    const bound = await boundBuild(builds, found.idempotency, key.requestHash);
    if (bound) return { build: bound, replayed: true };
    deadBuildSid = found.idempotency.build_sid;
  }
  // The workflow counts each build in its hour; concurrent creates may overshoot by a few.
  if (policy.rateLimitPerHour > 0 && found.buildsThisHour >= policy.rateLimitPerHour) {
    throw new RateLimited(secondsUntilNextHour(now), policy.rateLimitPerHour);
  }
  const build = newBuild({
    accountSid: service.account_sid,
    serviceSid: service.sid,
    functionVersions: requireVersions('FunctionVersions', body.FunctionVersions, found.functionVersions),
    assetVersions: requireVersions('AssetVersions', body.AssetVersions, found.assetVersions),
    dependencies: body.Dependencies,
    requestedRuntime: body.Runtime,
    lastCompletedRuntime: service.last_completed_runtime,
    ttlSeconds: policy.ttlSeconds,
    now,
  });
  // The build item is the outbox: once it is written, the table's stream starts its workflow
  // (lib/build-outbox.ts), whatever happens to this process next. The key is written in the same
  // transaction, so it is bound exactly when the build exists and will run.
  const expiresAt = Math.floor(now.getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS;
  const outcome = await builds.insert(build, key ? { ...key, expiresAt, now, replacing: deadBuildSid } : undefined);
  if (outcome === 'idempotency-key-taken' && key) {
    // A concurrent request with the same key won the race: answer with its build.
    const record = await builds.getIdempotency(service.account_sid, key.keyHash, now);
    if (!record) throw new IdempotencyKeyReused();
    const bound = await boundBuild(builds, record, key.requestHash);
    // The winner's build is already dead (deleted at once): a retry rebinds the key.
    if (!bound) throw new RetryShortly('The build this Idempotency-Key names is gone: retry');
    return { build: bound, replayed: true };
  }
  return { build, replayed: false };
}

/** Deletes a build of the service: ResourceNotFound when there is none, ResourceInUse while an environment points to it. */
export async function deleteBuild(builds: BuildStore, service: Service, buildSid: string): Promise<void> {
  const outcome = await builds.delete(service.account_sid, service.sid, buildSid);
  if (outcome === 'missing') throw new ResourceNotFound(buildSid);
  if (outcome === 'deployed') {
    throw new ResourceInUse(`Build ${buildSid} is deployed to an environment: deploy another build there or delete the environment first`);
  }
}
