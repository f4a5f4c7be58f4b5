import type { Service } from '../../lambda/domain/model';
import type { Seed } from '../../local/seed';

/** Two accounts, each with one service, so that tests can cross tenant lines. */
export const ACCOUNT = { sid: 'AC11111111111111111111111111111111', auth_token: '0123456789abcdef0123456789abcdef' };
export const OTHER_ACCOUNT = { sid: 'AC22222222222222222222222222222222', auth_token: 'fedcba9876543210fedcba9876543210' };
export const SERVICE = 'ZS11111111111111111111111111111111';
export const OTHER_SERVICE = 'ZS22222222222222222222222222222222';
export const FUNCTION = 'ZH11111111111111111111111111111111';
export const ASSET = 'ZH11111111111111111111111111111112';
export const FUNCTION_VERSIONS = ['ZN11111111111111111111111111111101', 'ZN11111111111111111111111111111102'];
export const ASSET_VERSIONS = ['ZN11111111111111111111111111111201', 'ZN11111111111111111111111111111202'];
/** A version that exists, but in the other account's service. */
export const OTHER_FUNCTION_VERSION = 'ZN22222222222222222222222222222201';

export const testSeed: Seed = {
  accounts: [ACCOUNT, OTHER_ACCOUNT],
  services: [
    { sid: SERVICE, account_sid: ACCOUNT.sid, unique_name: 'main', friendly_name: 'Main' },
    { sid: OTHER_SERVICE, account_sid: OTHER_ACCOUNT.sid, unique_name: 'other', friendly_name: 'Other' },
  ],
  functions: [
    { sid: FUNCTION, service_sid: SERVICE, friendly_name: 'hello' },
    { sid: 'ZH22222222222222222222222222222221', service_sid: OTHER_SERVICE, friendly_name: 'theirs' },
  ],
  function_versions: [
    { sid: FUNCTION_VERSIONS[0]!, function_sid: FUNCTION, path: '/hello', visibility: 'public' },
    { sid: FUNCTION_VERSIONS[1]!, function_sid: FUNCTION, path: '/hello', visibility: 'protected' },
    { sid: OTHER_FUNCTION_VERSION, function_sid: 'ZH22222222222222222222222222222221', path: '/theirs', visibility: 'public' },
  ],
  assets: [{ sid: ASSET, service_sid: SERVICE, friendly_name: 'logo' }],
  asset_versions: [
    { sid: ASSET_VERSIONS[0]!, asset_sid: ASSET, path: '/logo.png', visibility: 'public' },
    { sid: ASSET_VERSIONS[1]!, asset_sid: ASSET, path: '/style.css', visibility: 'private' },
  ],
};

/** The `Authorization` header of an account. */
export const basicAuth = (account: { sid: string; auth_token: string }): string =>
  `Basic ${Buffer.from(`${account.sid}:${account.auth_token}`).toString('base64')}`;

/** A service of ACCOUNT as the domain holds it, created and updated at `now`: for use cases against fakes. */
export function serviceRecord(now: Date): Service {
  return {
    sid: SERVICE,
    account_sid: ACCOUNT.sid,
    unique_name: 'app',
    friendly_name: 'App',
    include_credentials: true,
    ui_editable: false,
    domain_base: 'app-1234',
    date_created: now.toISOString(),
    date_updated: now.toISOString(),
  };
}
