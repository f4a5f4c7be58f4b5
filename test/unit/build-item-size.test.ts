import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { itemSize, writeUnits } from '../../bench/lib/item-size';
import { newBuild } from '../../lambda/domain/build';
import { keys } from '../../lambda/store/keys';

const sid = (prefix: string, n: number) => `${prefix}${'be0c'.repeat(7)}${String(n).padStart(4, '0')}`;
const ACCOUNT = sid('AC', 1);
const SERVICE = sid('ZS', 1);
const version = (n: number, owner: string, path: string, visibility: string) => ({
  sid: sid('ZN', n),
  account_sid: ACCOUNT,
  service_sid: SERVICE,
  path,
  visibility,
  date_created: '2026-12-02T10:11:12.345Z',
  // Content fields a version carries and a build must not copy.
  object_key: `services/${SERVICE}/versions/${sid('ZN', n)}`,
  content_type: 'application/javascript',
  size: 123_456,
  sha256: 'a'.repeat(64),
  ...(owner.startsWith('F') ? { function_sid: sid('ZH', 1) } : { asset_sid: sid('ZH', 2) }),
});

/** A typical build: two function versions, two asset versions, two dependencies (the bench's seed). */
function typicalBuildItem() {
  const build = newBuild({
    accountSid: ACCOUNT,
    serviceSid: SERVICE,
    functionVersions: [version(101, 'F', '/hello', 'public'), version(102, 'F', '/admin', 'protected')] as never,
    assetVersions: [version(201, 'A', '/logo.png', 'public'), version(202, 'A', '/style.css', 'public')] as never,
    dependencies: [
      { name: 'twilio', version: '5.3.0' },
      { name: '@twilio/runtime-handler', version: '2.0.0' },
    ],
    requestedRuntime: 'node22',
    lastCompletedRuntime: undefined,
    ttlSeconds: 86_400,
    now: new Date('2026-12-02T12:00:00.000Z'),
  });
  return { ...keys.build(SERVICE, build.sid), ...build };
}

describe('the item of a typical build', () => {
  it('is under 1 KB by DynamoDB item size rules, so that writing it costs one write unit', () => {
    const bytes = itemSize(marshall(typicalBuildItem()));
    expect(bytes).toBeLessThan(1024);
    expect(writeUnits(bytes)).toBe(1);
  });

  it('still fits in 1 KB once completed (status and date_updated rewritten)', () => {
    const completed = { ...typicalBuildItem(), status: 'completed', date_updated: '2026-12-02T12:00:10.123Z' };
    expect(itemSize(marshall(completed))).toBeLessThan(1024);
  });
});
