import { describe, expect, it } from 'vitest';
import { hashIdempotencyKey, isLive, readIdempotencyKey, requestFingerprint } from '../../lambda/domain/idempotency';
import { hourOf, secondsUntilNextHour } from '../../lambda/domain/rate-limit';
import { createBuildBody } from '../../lambda/domain/schema';

const FV = `ZN${'1'.repeat(32)}`;
const body = (form: Record<string, unknown>) => createBuildBody.parse(form);

describe('Idempotency-Key', () => {
  it('is optional', () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each(['a', 'deploy-2026-11-27/1', '~'.repeat(255)])('accepts %j', (key) => {
    expect(readIdempotencyKey(key)).toBe(key);
  });

  it.each(['', 'with space', 'x'.repeat(256), 'caf\u00e9'])('rejects %j as invalid input naming the header', (key) => {
    expect(() => readIdempotencyKey(key)).toThrow(expect.objectContaining({ name: 'InvalidInput', message: expect.stringMatching(/Idempotency-Key/) }));
  });

  it('is stored hashed', () => {
    expect(hashIdempotencyKey('secret-key')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashIdempotencyKey('secret-key')).not.toContain('secret');
  });

  it('expires after its window', () => {
    const record = { build_sid: 'ZB', service_sid: 'ZS', request_hash: 'h', expires_at: 1000 };
    expect(isLive(record, new Date(1000_000))).toBe(true);
    expect(isLive(record, new Date(1001_000))).toBe(false);
    expect(isLive(undefined, new Date())).toBe(false);
  });
});

describe('request fingerprints', () => {
  it('match for the same request in another form', () => {
    const deps = '[{"name":"twilio","version":"1.0.0"}]';
    expect(requestFingerprint('ZS1', body({ FunctionVersions: FV, Dependencies: deps }))).toBe(
      requestFingerprint('ZS1', body({ FunctionVersions: [FV], Dependencies: `"${deps}"`, Unknown: 'x' })),
    );
  });

  it('differ for another service, versions, dependencies or runtime', () => {
    const base = requestFingerprint('ZS1', body({ FunctionVersions: FV }));
    expect(requestFingerprint('ZS2', body({ FunctionVersions: FV }))).not.toBe(base);
    expect(requestFingerprint('ZS1', body({ AssetVersions: FV }))).not.toBe(base);
    expect(requestFingerprint('ZS1', body({ FunctionVersions: FV, Dependencies: '[{"name":"a","version":"1"}]' }))).not.toBe(base);
    expect(requestFingerprint('ZS1', body({ FunctionVersions: FV, Runtime: 'node22' }))).not.toBe(base);
  });
});

describe('hourly windows', () => {
  it('count per clock hour and tell the seconds to the next', () => {
    const now = new Date('2026-11-27T20:59:30.000Z');
    expect(hourOf(now)).toBe(hourOf(new Date('2026-11-27T20:00:00.000Z')));
    expect(hourOf(new Date('2026-11-27T21:00:00.000Z'))).toBe(hourOf(now) + 1);
    expect(secondsUntilNextHour(now)).toBe(30);
  });
});
