import { describe, expect, it, vi } from 'vitest';
import { IdempotencyKeyReused, InvalidInput, RateLimited, ResourceInUse, ResourceNotFound, RetryShortly } from '../../lambda/domain/errors';
import { IDEMPOTENCY_WINDOW_SECONDS, requestFingerprint } from '../../lambda/domain/idempotency';
import type { Build, FunctionVersion, IdempotencyRecord, Service } from '../../lambda/domain/model';
import type { CreateBuildRequest } from '../../lambda/domain/schema';
import { type BuildPolicy, type CreateBuildInput, createBuild, createBuildReads, deleteBuild } from '../../lambda/use-cases/builds';
import type { BuildStore } from '../../lambda/use-cases/ports';
import { ACCOUNT as ACCOUNT_FIXTURE, serviceRecord } from '../support/fixtures';

/** Create Build and Delete Build against a fake BuildStore: idempotency, the hourly limit, lost races. */

const NOW = new Date('2026-11-28T12:30:00.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const ACCOUNT = ACCOUNT_FIXTURE.sid;
const SERVICE: Service = serviceRecord(NOW);
const VERSION: FunctionVersion = {
  sid: `ZN${'1'.repeat(32)}`,
  account_sid: ACCOUNT,
  service_sid: SERVICE.sid,
  function_sid: `ZH${'1'.repeat(32)}`,
  path: '/hi',
  visibility: 'public',
  date_created: NOW.toISOString(),
} as FunctionVersion;
const BODY: CreateBuildRequest = { FunctionVersions: [VERSION.sid], AssetVersions: [], Dependencies: [] };
const POLICY: BuildPolicy = { ttlSeconds: 3600, rateLimitPerHour: 5 };
const KEY_HASH = 'k'.repeat(64);
const EARLIER: Build = { sid: `ZB${'9'.repeat(32)}`, account_sid: ACCOUNT, service_sid: SERVICE.sid, status: 'completed' } as Build;

function fakeBuilds(): BuildStore & { [K in keyof BuildStore]: ReturnType<typeof vi.fn> } {
  return {
    insert: vi.fn(async () => 'inserted' as const),
    get: vi.fn(async () => undefined),
    getIdempotency: vi.fn(async () => undefined),
    delete: vi.fn(async () => 'deleted' as const),
  };
}

function input(overrides: Partial<CreateBuildInput> & { buildsThisHour?: number; idempotency?: IdempotencyRecord } = {}): CreateBuildInput {
  const { buildsThisHour = 0, idempotency, ...rest } = overrides;
  return {
    service: SERVICE,
    body: BODY,
    found: { functionVersions: new Map([[VERSION.sid, VERSION]]), assetVersions: new Map(), buildsThisHour, idempotency },
    idempotencyKeyHash: undefined,
    now: NOW,
    ...rest,
  };
}

const record = (requestHash: string, expiresAt = NOW_SECONDS + 60): IdempotencyRecord => ({
  build_sid: EARLIER.sid,
  service_sid: SERVICE.sid,
  request_hash: requestHash,
  expires_at: expiresAt,
});
const SAME_REQUEST = requestFingerprint(SERVICE.sid, BODY);

describe('createBuildReads', () => {
  it("reads the hour's count only when the limit is on", () => {
    const request = { accountSid: ACCOUNT, serviceSid: SERVICE.sid, body: BODY, idempotencyKeyHash: KEY_HASH, now: NOW };
    expect(createBuildReads(POLICY, request)).toMatchObject({
      functionVersionSids: BODY.FunctionVersions,
      idempotencyKeyHash: KEY_HASH,
      countHour: expect.any(Number),
    });
    expect(createBuildReads({ ...POLICY, rateLimitPerHour: 0 }, request)).not.toHaveProperty('countHour');
  });
});

describe('createBuild', () => {
  it('writes a building build without a key record when the request has no key', async () => {
    const builds = fakeBuilds();
    const { build, replayed } = await createBuild(builds, POLICY, input());
    expect(replayed).toBe(false);
    expect(build).toMatchObject({ status: 'building', account_sid: ACCOUNT, service_sid: SERVICE.sid });
    expect(builds.insert).toHaveBeenCalledWith(build, undefined);
  });

  it('writes the key with the build, for the idempotency window', async () => {
    const builds = fakeBuilds();
    const { build } = await createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH }));
    expect(builds.insert).toHaveBeenCalledWith(build, {
      keyHash: KEY_HASH,
      requestHash: SAME_REQUEST,
      expiresAt: NOW_SECONDS + IDEMPOTENCY_WINDOW_SECONDS,
      now: NOW,
      replacing: undefined,
    });
  });

  it('replays the build a live key names, writing nothing', async () => {
    const builds = fakeBuilds();
    builds.get.mockResolvedValueOnce(EARLIER);
    const result = await createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH, idempotency: record(SAME_REQUEST) }));
    expect(result).toEqual({ build: EARLIER, replayed: true });
    expect(builds.insert).not.toHaveBeenCalled();
  });

  it('refuses a live key sent with another request (422 IdempotencyKeyReused), writing nothing', async () => {
    const builds = fakeBuilds();
    await expect(createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH, idempotency: record('another request') }))).rejects.toBeInstanceOf(
      IdempotencyKeyReused,
    );
    expect(builds.insert).not.toHaveBeenCalled();
  });

  it('ignores an expired key record, and rebinds a key whose build is dead', async () => {
    const expired = fakeBuilds();
    await createBuild(expired, POLICY, input({ idempotencyKeyHash: KEY_HASH, idempotency: record('another request', NOW_SECONDS - 1) }));
    expect(expired.insert.mock.calls[0]![1]).toMatchObject({ replacing: undefined });

    const dead = fakeBuilds();
    dead.get.mockResolvedValueOnce({ ...EARLIER, status: 'failed' });
    const { replayed } = await createBuild(dead, POLICY, input({ idempotencyKeyHash: KEY_HASH, idempotency: record(SAME_REQUEST) }));
    expect(replayed).toBe(false);
    expect(dead.insert.mock.calls[0]![1]).toMatchObject({ replacing: EARLIER.sid });
  });

  it('refuses the build past the hourly limit with the seconds to the next hour, but still replays a key', async () => {
    const builds = fakeBuilds();
    const refused = createBuild(builds, POLICY, input({ buildsThisHour: POLICY.rateLimitPerHour }));
    await expect(refused).rejects.toBeInstanceOf(RateLimited);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 30 * 60, limit: POLICY.rateLimitPerHour });
    expect(builds.insert).not.toHaveBeenCalled();

    builds.get.mockResolvedValueOnce(EARLIER);
    const replay = await createBuild(builds, POLICY, input({ buildsThisHour: 99, idempotencyKeyHash: KEY_HASH, idempotency: record(SAME_REQUEST) }));
    expect(replay.replayed).toBe(true);
    await createBuild(builds, { ...POLICY, rateLimitPerHour: 0 }, input({ buildsThisHour: 99 }));
    expect(builds.insert).toHaveBeenCalledTimes(1);
  });

  it('refuses versions the service does not have, writing nothing', async () => {
    const builds = fakeBuilds();
    const body = { ...BODY, FunctionVersions: [VERSION.sid, `ZN${'2'.repeat(32)}`] };
    await expect(createBuild(builds, POLICY, input({ body }))).rejects.toBeInstanceOf(InvalidInput);
    expect(builds.insert).not.toHaveBeenCalled();
  });

  describe('when a concurrent request with the same key wins the race', () => {
    it("answers with the winner's build", async () => {
      const builds = fakeBuilds();
      builds.insert.mockResolvedValueOnce('idempotency-key-taken');
      builds.getIdempotency.mockResolvedValueOnce(record(SAME_REQUEST));
      builds.get.mockResolvedValueOnce(EARLIER);
      expect(await createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH }))).toEqual({ build: EARLIER, replayed: true });
    });

    it('is IdempotencyKeyReused when the winner sent another body', async () => {
      const builds = fakeBuilds();
      builds.insert.mockResolvedValueOnce('idempotency-key-taken');
      builds.getIdempotency.mockResolvedValueOnce(record('another request'));
      await expect(createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH }))).rejects.toBeInstanceOf(IdempotencyKeyReused);
    });

    it("asks for a retry when the winner's build is already dead", async () => {
      const builds = fakeBuilds();
      builds.insert.mockResolvedValueOnce('idempotency-key-taken');
      builds.getIdempotency.mockResolvedValueOnce(record(SAME_REQUEST));
      await expect(createBuild(builds, POLICY, input({ idempotencyKeyHash: KEY_HASH }))).rejects.toBeInstanceOf(RetryShortly);
    });
  });
});

describe('deleteBuild', () => {
  it('maps the store outcomes to ResourceNotFound and ResourceInUse', async () => {
    const builds = fakeBuilds();
    await deleteBuild(builds, SERVICE, EARLIER.sid);
    expect(builds.delete).toHaveBeenCalledWith(ACCOUNT, SERVICE.sid, EARLIER.sid);
    builds.delete.mockResolvedValueOnce('missing');
    await expect(deleteBuild(builds, SERVICE, EARLIER.sid)).rejects.toBeInstanceOf(ResourceNotFound);
    builds.delete.mockResolvedValueOnce('deployed');
    await expect(deleteBuild(builds, SERVICE, EARLIER.sid)).rejects.toBeInstanceOf(ResourceInUse);
  });
});
