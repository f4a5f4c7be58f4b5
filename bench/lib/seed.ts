import { randomBytes } from 'node:crypto';
import { hourOf } from '../../lambda/domain/rate-limit';
import { type ItemKey, keys, TABLE_KEY } from '../../lambda/store/keys';
import type { Seed } from '../../local/seed';

/** The bench's own seed, a small but typical deployment (kept here so that the bench does not depend on test code). */
export const ACCOUNT = { sid: 'ACbe0c0000000000000000000000000001', auth_token: 'be0cbe0cbe0cbe0cbe0cbe0cbe0cbe0c' };
export const SERVICE = 'ZSbe0c0000000000000000000000000001';
export const FUNCTION = 'ZHbe0c0000000000000000000000000001';
export const ASSET = 'ZHbe0c0000000000000000000000000002';
export const FUNCTION_VERSIONS = ['ZNbe0c0000000000000000000000000101', 'ZNbe0c0000000000000000000000000102'];
export const ASSET_VERSIONS = ['ZNbe0c0000000000000000000000000201', 'ZNbe0c0000000000000000000000000202'];

export const benchSeed: Seed = {
  accounts: [ACCOUNT],
  services: [{ sid: SERVICE, account_sid: ACCOUNT.sid, unique_name: 'bench', friendly_name: 'Bench' }],
  functions: [{ sid: FUNCTION, service_sid: SERVICE, friendly_name: 'hello' }],
  function_versions: [
    { sid: FUNCTION_VERSIONS[0]!, function_sid: FUNCTION, path: '/hello', visibility: 'public' },
    { sid: FUNCTION_VERSIONS[1]!, function_sid: FUNCTION, path: '/admin', visibility: 'protected' },
  ],
  assets: [{ sid: ASSET, service_sid: SERVICE, friendly_name: 'static' }],
  asset_versions: [
    { sid: ASSET_VERSIONS[0]!, asset_sid: ASSET, path: '/logo.png', visibility: 'public' },
    { sid: ASSET_VERSIONS[1]!, asset_sid: ASSET, path: '/style.css', visibility: 'public' },
  ],
};

export const AUTHORIZATION = `Basic ${Buffer.from(`${ACCOUNT.sid}:${ACCOUNT.auth_token}`).toString('base64')}`;

export const BUILDS_PATH = `/v1/Services/${SERVICE}/Builds`;
export const SERVICE_PATH = `/v1/Services/${SERVICE}`;
export const FUNCTION_PATH = `/v1/Services/${SERVICE}/Functions/${FUNCTION}`;
/** Where an asset version is uploaded (Twilio's serverless-upload host, the same API locally). */
export const ASSET_VERSIONS_PATH = `/v1/Services/${SERVICE}/Assets/${ASSET}/Versions`;

/**
 * An asset version upload exactly as Twilio's toolkit sends it: @twilio-labs/serverless-api appends Path, Visibility, then
 * Content with a filename and a content type to a `form-data` FormData, sent with its Content-Length. The boundary's shape
 * (26 dashes + 24 hex digits), part headers, line breaks and closing boundary are those of form-data 4's `getBuffer()`;
 * built here because `form-data` is a dependency of the toolkit, not of this project.
 */
export function uploadForm(bytes: Buffer, name = `bench-${bytes.length}.bin`) {
  const boundary = `--------------------------${randomBytes(12).toString('hex')}`;
  const field = (field: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${value}\r\n`;
  const file = `--${boundary}\r\nContent-Disposition: form-data; name="Content"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(field('Path', `/${name}`) + field('Visibility', 'public') + file), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The create's write condition: a new item only (what the floors' and the baseline's PutItems send too). */
export const IF_NEW = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey } };

export const DEPENDENCIES = [
  { name: 'twilio', version: '5.3.0' },
  { name: '@twilio/runtime-handler', version: '2.0.0' },
];

/** The create form a deploy tool sends: repeated version keys, Dependencies as JSON text, a Runtime. */
export const CREATE_FORM = (() => {
  const form = new URLSearchParams();
  for (const sid of FUNCTION_VERSIONS) form.append('FunctionVersions', sid);
  for (const sid of ASSET_VERSIONS) form.append('AssetVersions', sid);
  form.append('Dependencies', JSON.stringify(DEPENDENCIES));
  form.append('Runtime', 'node22');
  return form.toString();
})();

/**
 * The seven keys the create's one BatchGetItem reads for CREATE_FORM with the deployed builds-per-hour limit: the account,
 * the service, the two function and two asset versions, the hour's build count. The floors read exactly these.
 */
export function createContextKeys(now: Date): ItemKey[] {
  return [
    keys.account(ACCOUNT.sid),
    keys.service(ACCOUNT.sid, SERVICE),
    ...FUNCTION_VERSIONS.map((sid) => keys.functionVersion(SERVICE, sid)),
    ...ASSET_VERSIONS.map((sid) => keys.assetVersion(SERVICE, sid)),
    keys.rateWindow(ACCOUNT.sid, hourOf(now)),
  ];
}
