import { config } from '../config';
import { newBuild, requireVersions } from '../domain/build';
import { hashIdempotencyKey, hourOf, IDEMPOTENCY_WINDOW_SECONDS, isLive, readIdempotencyKey, requestFingerprint, secondsUntilNextHour } from '../domain/guards';
import { createBuildBody } from '../domain/schema';
import { idempotencyKeyReused, notFound, tooManyRequests } from '../http/errors';
import { type ApiEvent, httpRoute, json, logger } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { tableStore } from '../store';
import type { IdempotencyItem } from '../store/items';
import { startBuildWorkflow } from '../workflow';
import { authorizeService, buildPath, parsedOrThrow } from './access';

/** The answer to a request whose Idempotency-Key is already recorded: the same build, or 422. */
async function replay(event: ApiEvent, record: IdempotencyItem, requestHash: string) {
  if (record.request_hash !== requestHash) throw idempotencyKeyReused();
  const build = await tableStore.getBuild(record.service_sid, record.build_sid);
  if (!build) throw notFound(event.rawPath);
  return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)), { 'Idempotent-Replayed': 'true' });
}

/** POST /v1/Services/{ServiceSid}/Builds (CreateBuild). */
export const handler = httpRoute(
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
    const requestHash = requestFingerprint(serviceSid, body);
    if (isLive(found.idempotency, now)) return replay(event, found.idempotency, requestHash);
    // The workflow counts each build in its hour; concurrent creates may overshoot by a few.
    if (config.rateLimitBuildsPerHour > 0 && found.buildsThisHour >= config.rateLimitBuildsPerHour) {
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
    let outcome: Awaited<ReturnType<typeof tableStore.insertBuild>>;
    try {
      outcome = await tableStore.insertBuild(
        build,
        keyHash ? { keyHash, requestHash, expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_WINDOW_SECONDS, now } : undefined,
      );
    } catch (error) {
      // The write may have landed even though it failed here (a timeout): start the workflow
      // anyway, so such a build completes; if it did not land, the workflow ends at once.
      await startBuildWorkflow(config.stateMachineArn, build).catch(() => undefined);
      throw error;
    }
    if (outcome === 'idempotency-key-taken') {
      // A concurrent request with the same key won the race: answer with its build.
      const record = await tableStore.getIdempotency(accountSid, keyHash!, now);
      if (!record) throw idempotencyKeyReused();
      return replay(event, record, requestHash);
    }

    try {
      await startBuildWorkflow(config.stateMachineArn, build);
    } catch (error) {
      // No 201 may name a build that cannot complete.
      logger.error('could not start the build workflow; marking the build failed', { buildSid: build.sid, error: error as Error });
      await tableStore.markBuildFailed(serviceSid, build.sid, 20500, 'The build workflow could not be started', new Date());
      throw error;
    }
    return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)));
  },
  { form: true },
);
