import { config } from '../config';
import { newBuild, requireVersions } from '../domain/build';
import {
  hashIdempotencyKey,
  hourOf,
  IDEMPOTENCY_WINDOW_SECONDS,
  isDeadBuild,
  isLive,
  readIdempotencyKey,
  requestFingerprint,
  secondsUntilNextHour,
} from '../domain/guards';
import { createBuildBody } from '../domain/schema';
import { idempotencyKeyReused, serviceUnavailable, tooManyRequests } from '../http/errors';
import { businessMetrics } from '../http/metrics';
import { type ApiEvent, httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { tableStore } from '../store';
import type { BuildItem, IdempotencyItem } from '../store/items';
import { authorizeService, buildPath, parsedOrThrow } from './access';

/**
 * The build a recorded Idempotency-Key names, to answer the same request again; undefined when
 * that build is dead (deleted, expired, or failed by this service), so that the key is rebound
 * to a new build. A key reused with another request is a 422.
 */
async function boundBuild(record: IdempotencyItem, requestHash: string): Promise<BuildItem | undefined> {
  if (record.request_hash !== requestHash) throw idempotencyKeyReused();
  const build = await tableStore.getBuild(record.service_sid, record.build_sid);
  return isDeadBuild(build) ? undefined : build;
}

const replayed = (event: ApiEvent, build: BuildItem) => {
  businessMetrics.idempotentReplay(build.account_sid);
  return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)), { 'Idempotent-Replayed': 'true' });
};

/** POST /v1/Services/{ServiceSid}/Builds (CreateBuild). */
export const handler = httpRoute(
  tableStore,
  async (event, context) => {
    const { serviceSid } = buildPath(event);
    const { accountSid } = context.credentials;
    const idempotencyKey = readIdempotencyKey(event.headers['idempotency-key']);
    const keyHash = idempotencyKey === undefined ? undefined : hashIdempotencyKey(idempotencyKey);
    const parsed = createBuildBody.safeParse(event.body);
    const now = new Date();
    // One read for everything: account, service, referenced versions, idempotency record, hourly count.
    const found = await tableStore.loadContext({
      accountSid,
      serviceSid,
      functionVersionSids: parsed.data?.FunctionVersions,
      assetVersionSids: parsed.data?.AssetVersions,
      idempotencyKeyHash: keyHash,
      ...(config.rateLimitBuildsPerHour > 0 ? { countHour: hourOf(now) } : {}),
    });
    const service = authorizeService(context.credentials, found, event.rawPath);
    const body = parsedOrThrow(parsed);
    // Only a request with a key is compared with an earlier one.
    const key = keyHash === undefined ? undefined : { keyHash, requestHash: requestFingerprint(serviceSid, body) };
    // A live key answers with its build, unless that build is dead: then the key is rebound below.
    let deadBuildSid: string | undefined;
    if (key && isLive(found.idempotency, now)) {
      const bound = await boundBuild(found.idempotency, key.requestHash);
      if (bound) return replayed(event, bound);
      deadBuildSid = found.idempotency.build_sid;
    }
    // The workflow counts each build in its hour; concurrent creates may overshoot by a few.
    if (config.rateLimitBuildsPerHour > 0 && found.buildsThisHour >= config.rateLimitBuildsPerHour) {
      businessMetrics.rateLimitedCreate(accountSid);
      throw tooManyRequests(secondsUntilNextHour(now), config.rateLimitBuildsPerHour);
    }

    const build = newBuild({
      accountSid,
      serviceSid,
      functionVersions: requireVersions('FunctionVersions', body.FunctionVersions, found.functionVersions),
      assetVersions: requireVersions('AssetVersions', body.AssetVersions, found.assetVersions),
      dependencies: body.Dependencies,
      requestedRuntime: body.Runtime,
      lastCompletedRuntime: service.last_completed_runtime,
      ttlSeconds: config.buildTtlSeconds,
      now,
    });
    // The build item is the outbox: once it is written, the table's stream starts its workflow
    // (lib/build-outbox.ts), whatever happens to this process next. The key is written in the same
    // transaction, so it is bound exactly when the build exists and will run.
    const outcome = await tableStore.insertBuild(
      build,
      key ? { ...key, expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS, now, replacing: deadBuildSid } : undefined,
    );
    if (outcome === 'idempotency-key-taken' && key) {
      // A concurrent request with the same key won the race: answer with its build.
      const record = await tableStore.getIdempotency(accountSid, key.keyHash, now);
      if (!record) throw idempotencyKeyReused();
      const bound = await boundBuild(record, key.requestHash);
      // The winner's build is already dead (deleted at once): a retry rebinds the key.
      if (!bound) throw serviceUnavailable();
      return replayed(event, bound);
    }
    businessMetrics.buildCreated(accountSid);
    return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)));
  },
  { form: true },
);
