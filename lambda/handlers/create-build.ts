import { config } from '../config';
import { RateLimited } from '../domain/errors';
import { hashIdempotencyKey, readIdempotencyKey } from '../domain/idempotency';
import { createBuildBody } from '../domain/schema';
import { authorizeService, buildPath, parsedOrThrow } from '../http/access';
import { businessMetrics } from '../http/metrics';
import { httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { accounts, builds, readRequestContext } from '../store';
import { type BuildPolicy, createBuild, createBuildReads } from '../use-cases/builds';

const POLICY: BuildPolicy = { ttlSeconds: config.buildTtlSeconds, rateLimitPerHour: config.rateLimitBuildsPerHour };

/** POST /v1/Services/{ServiceSid}/Builds (CreateBuild), with Idempotency-Key and the builds-per-hour limit. */
export const handler = httpRoute(
  accounts,
  async (event, context) => {
    const { serviceSid } = buildPath(event);
    const { accountSid } = context.credentials;
    const key = readIdempotencyKey(event.headers['idempotency-key']);
    const idempotencyKeyHash = key === undefined ? undefined : hashIdempotencyKey(key);
    const parsed = createBuildBody.safeParse(event.body);
    const now = new Date();
    // One read for everything: account, service, referenced versions, idempotency record, hourly count.
    const found = await readRequestContext(createBuildReads(POLICY, { accountSid, serviceSid, body: parsed.data, idempotencyKeyHash, now }));
    const service = authorizeService(context.credentials, found, event.rawPath);
    const body = parsedOrThrow(parsed);
    const { build, replayed } = await createBuild(builds, POLICY, { service, body, found, idempotencyKeyHash, now }).catch((error: unknown) => {
      if (error instanceof RateLimited) businessMetrics.rateLimitedCreate(accountSid);
      throw error;
    });
    if (replayed) businessMetrics.idempotentReplay(accountSid);
    else businessMetrics.buildCreated(accountSid);
    return json(201, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)), replayed ? { 'Idempotent-Replayed': 'true' } : {});
  },
  { form: true },
);
