import { describe, expect, it } from 'vitest';
import { newBuild, requireVersions } from '../../lambda/domain/build';
import { InvalidInput } from '../../lambda/domain/errors';
import type { Build } from '../../lambda/domain/model';
import { decodePageToken, encodePageToken } from '../../lambda/domain/paging';
import { resolveRuntime } from '../../lambda/domain/runtime';
import { listQuery } from '../../lambda/domain/schema';
import { BUILD_SID, newBuildSid } from '../../lambda/domain/sid';
import { toTwilioError } from '../../lambda/http/errors';
import { renderBuild, renderBuildStatus, twilioDate } from '../../lambda/http/render';

describe('build SIDs', () => {
  it('match ^ZB[0-9a-f]{32}$', () => {
    expect(newBuildSid()).toMatch(BUILD_SID);
  });

  it('sort by creation time', () => {
    const earlier = newBuildSid(new Date('2026-01-01T00:00:00.000Z'));
    const later = newBuildSid(new Date('2026-01-01T00:00:00.001Z'));
    expect(earlier < later).toBe(true);
  });

  it('differ within one millisecond', () => {
    const now = new Date();
    expect(newBuildSid(now)).not.toBe(newBuildSid(now));
  });

  it('stay well-formed and distinct across many draws from the random pool (it refills every 256)', () => {
    const now = new Date();
    const sids = Array.from({ length: 1000 }, () => newBuildSid(now));
    for (const sid of sids) expect(sid).toMatch(BUILD_SID);
    expect(new Set(sids.map((sid) => sid.slice(14))).size).toBe(sids.length);
  });
});

describe('runtime of a new build', () => {
  it('is the one asked for', () => {
    expect(resolveRuntime('node20', 'node18')).toBe('node20');
  });
  it("is else the service's most recent completed build's", () => {
    expect(resolveRuntime(undefined, 'node18')).toBe('node18');
  });
  it('is else node22', () => {
    expect(resolveRuntime(undefined, undefined)).toBe('node22');
  });
  it('ignores a stored value that is not a runtime', () => {
    expect(resolveRuntime(undefined, 'ruby')).toBe('node22');
  });
});

describe('Twilio dates', () => {
  it('are ISO 8601 UTC without fractional seconds', () => {
    expect(twilioDate('2018-11-10T20:00:00.123Z')).toBe('2018-11-10T20:00:00Z');
    expect(twilioDate('2018-11-10T20:00:00Z')).toBe('2018-11-10T20:00:00Z');
  });
});

const version = (sid: string) => ({
  sid,
  account_sid: 'AC1',
  service_sid: 'ZS1',
  function_sid: 'ZH1',
  path: '/p',
  visibility: 'public',
  date_created: '2026-01-01T00:00:00.000Z',
});

describe('referenced versions', () => {
  it('are returned in the order asked, each once', () => {
    const found = new Map([
      ['ZNa', version('ZNa')],
      ['ZNb', version('ZNb')],
    ]);
    expect(requireVersions('FunctionVersions', ['ZNb', 'ZNa', 'ZNb'], found).map((v) => v.sid)).toEqual(['ZNb', 'ZNa']);
  });

  it('that do not exist are a 400 naming every missing SID', () => {
    const found = new Map([['ZNa', version('ZNa')]]);
    let error: unknown;
    try {
      requireVersions('AssetVersions', ['ZNa', 'ZNx', 'ZNy'], found);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InvalidInput);
    expect(toTwilioError(error, 'r').toJSON()).toEqual({
      code: 20001,
      message: 'Invalid AssetVersions: not found in this service: ZNx, ZNy',
      more_info: 'https://www.twilio.com/docs/errors/20001',
      status: 400,
    });
  });
});

describe('a new build', () => {
  const now = new Date('2026-03-04T05:06:07.890Z');
  const build = newBuild({
    accountSid: 'AC1',
    serviceSid: 'ZS1',
    functionVersions: [version('ZNa')],
    assetVersions: [],
    dependencies: [{ name: 'twilio', version: '1' }],
    requestedRuntime: undefined,
    lastCompletedRuntime: 'node20',
    ttlSeconds: 86_400,
    now,
  });

  it('is building, on the resolved runtime, expiring after the TTL', () => {
    expect(build).toMatchObject({ status: 'building', runtime: 'node20', date_created: now.toISOString(), date_updated: now.toISOString() });
    expect(build.expires_at).toBe(Math.floor(now.getTime() / 1000) + 86_400);
  });

  it('renders as Twilio does, with URLs under the given base', () => {
    const rendered = renderBuild(build, 'https://api.example.com');
    expect(rendered.url).toBe(`https://api.example.com/v1/Services/ZS1/Builds/${build.sid}`);
    expect(rendered.links.build_status).toBe(`${rendered.url}/Status`);
    expect(rendered.date_created).toBe('2026-03-04T05:06:07Z');
    expect(rendered.function_versions).toEqual([
      { sid: 'ZNa', account_sid: 'AC1', service_sid: 'ZS1', function_sid: 'ZH1', path: '/p', visibility: 'PUBLIC', date_created: '2026-01-01T00:00:00Z' },
    ]);
    expect(Object.keys(rendered)).not.toContain('expires_at');
  });

  it('stores each version as a compact entry: no account or service SID, no content fields', () => {
    expect(build.function_versions).toEqual([{ s: 'ZNa', o: 'ZH1', p: '/p', v: 'public', d: '2026-01-01T00:00:00.000Z' }]);
  });

  it('renders a build stored in the legacy shape (whole version copies) as one stored compactly', () => {
    const legacy: Build = {
      ...build,
      function_versions: [{ ...version('ZNa') }],
      asset_versions: [
        {
          sid: 'ZNb',
          account_sid: 'AC1',
          service_sid: 'ZS1',
          asset_sid: 'ZH2',
          path: '/a.css',
          visibility: 'protected',
          date_created: '2026-01-02T00:00:00.000Z',
        },
      ],
    } as unknown as Build;
    const compact: Build = {
      ...legacy,
      asset_versions: [{ s: 'ZNb', o: 'ZH2', p: '/a.css', v: 'protected', d: '2026-01-02T00:00:00.000Z' }],
      function_versions: build.function_versions,
    };
    expect(renderBuild(legacy, 'http://h')).toEqual(renderBuild(compact, 'http://h'));
    expect(renderBuild(legacy, 'http://h').asset_versions).toEqual([
      { sid: 'ZNb', account_sid: 'AC1', service_sid: 'ZS1', path: '/a.css', visibility: 'PROTECTED', date_created: '2026-01-02T00:00:00Z', asset_sid: 'ZH2' },
    ]);
  });

  it('has a Status resource', () => {
    expect(renderBuildStatus(build, 'http://h')).toEqual({
      sid: build.sid,
      account_sid: 'AC1',
      service_sid: 'ZS1',
      status: 'building',
      url: `http://h/v1/Services/ZS1/Builds/${build.sid}/Status`,
    });
  });
});

describe('paging', () => {
  const sid = `ZB${'a'.repeat(32)}`;

  it('round-trips page tokens in both directions', () => {
    expect(decodePageToken(encodePageToken({ direction: 'after', sid }), 'ZB')).toEqual({ direction: 'after', sid });
    expect(decodePageToken(encodePageToken({ direction: 'before', sid }), 'ZB')).toEqual({ direction: 'before', sid });
  });

  it.each(['', 'PA', `PC${sid}`, `PA${sid}x`, 'PAZB123', 'garbage', `PAZS${'a'.repeat(32)}`])('rejects PageToken=%j as invalid input', (token) => {
    expect(() => decodePageToken(token, 'ZB')).toThrow(expect.objectContaining({ name: 'InvalidInput', message: expect.stringMatching(/PageToken/) }));
  });

  it('defaults PageSize to 50 and Page to 0', () => {
    expect(listQuery.parse({})).toEqual({ PageSize: 50, Page: 0 });
  });

  it.each(['0', '1001', '-1', '2.5', 'abc', ''])('rejects PageSize=%j', (pageSize) => {
    const result = listQuery.safeParse({ PageSize: pageSize });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('Invalid PageSize: must be an integer from 1 to 1000');
  });

  it.each(['-1', 'x', '1.5'])('rejects Page=%j', (page) => {
    expect(listQuery.safeParse({ Page: page }).error?.issues[0]?.message).toBe('Invalid Page: must be a non-negative integer');
  });
});
