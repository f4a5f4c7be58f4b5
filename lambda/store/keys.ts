/**
 * The single-table key design, in one place. Every item has a string partition key `PK` and
 * sort key `SK`:
 *
 * | item                   | PK              | SK               |
 * |------------------------|-----------------|------------------|
 * | account                | `ACCOUNT#AC…`   | `ACCOUNT`        |
 * | API key                | `APIKEY#SK…`    | `APIKEY`         |
 * | service                | `ACCOUNT#AC…`   | `SERVICE#ZS…`    |
 * | service unique name    | `ACCOUNT#AC…`   | `SERVICENAME#<lowercased name>` |
 * | function / asset       | `SERVICE#ZS…`   | `FUNCTION#ZH…` / `ASSET#ZH…`     |
 * | function / asset version | `SERVICE#ZS…` | `FVERSION#ZN…` / `AVERSION#ZN…`  |
 * | build                  | `SERVICE#ZS…`   | `BUILD#ZB…`      |
 * | environment            | `SERVICE#ZS…`   | `ENVIRONMENT#ZE…` |
 * | environment name / domain suffix | `SERVICE#ZS…` | `ENVNAME#<lowercased>` / `ENVSUFFIX#<lowercased>` |
 * | variable / its key     | `SERVICE#ZS…`   | `VARIABLE#ZE…#ZV…` / `VARKEY#ZE…#<key>` |
 * | deployment             | `SERVICE#ZS…`   | `DEPLOYMENT#ZE…#ZD…` |
 * | idempotency record     | `ACCOUNT#AC…`   | `IDEMPOTENCY#<sha256 of the key>` |
 * | builds-per-hour counter | `ACCOUNT#AC…`  | `RATE#<hour since epoch>` |
 *
 * Services live under their account, so a service of another account is simply not found.
 * SIDs begin with their creation time, so a Query on a sort-key prefix lists in creation order.
 *
 * Versions also carry `parent` (`FUNCTION#ZH…` / `ASSET#ZH…`), the partition key of the sparse
 * index `ByParent` (sort key `SK`): a function's or asset's versions, in creation order.
 * Accounts carry `parent` = `ACCOUNTS` and API keys `APIKEYS#AC…`, so that the admin CLI lists
 * them from the index without a Scan. An API key is its own partition: a request authenticated
 * with one names only the key, and the key item names its account.
 */
export const TABLE_KEY = { partitionKey: 'PK', sortKey: 'SK' } as const;

/** The attribute DynamoDB's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'expires_at';

export interface ItemKey {
  PK: string;
  SK: string;
}

/** A key as one string (`PK|SK`), to find an item of a batch read by its key. */
export const keyId = (key: ItemKey): string => `${key.PK}|${key.SK}`;

/** The tag an uploaded object carries until a version item points to it (the bucket's lifecycle rule expires such objects). */
export const UNREFERENCED_TAG = { key: 'unreferenced', value: 'true' } as const;

/** The sparse index of versions by their function or asset. */
export const PARENT_INDEX = { name: 'ByParent', partitionKey: 'parent', sortKey: 'SK' } as const;

export const BUILD_SORT_PREFIX = 'BUILD#';
export const DEPLOYMENT_SORT_PREFIX = 'DEPLOYMENT#';

/** The sort-key prefix of each collection, for Queries. */
export const SORT_PREFIX = {
  service: 'SERVICE#',
  function: 'FUNCTION#',
  asset: 'ASSET#',
  functionVersion: 'FVERSION#',
  assetVersion: 'AVERSION#',
  build: BUILD_SORT_PREFIX,
  environment: 'ENVIRONMENT#',
  /** Everything of one environment: its variables, their keys, its deployments. */
  environmentChildren: (environmentSid: string) => [`VARIABLE#${environmentSid}#`, `VARKEY#${environmentSid}#`, `${DEPLOYMENT_SORT_PREFIX}${environmentSid}#`],
  variable: (environmentSid: string) => `VARIABLE#${environmentSid}#`,
  deployment: (environmentSid: string) => `${DEPLOYMENT_SORT_PREFIX}${environmentSid}#`,
} as const;

export const keys = {
  account: (accountSid: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: 'ACCOUNT' }),
  /** An API key, found by its SID alone: its item names the account. */
  apiKey: (apiKeySid: string): ItemKey => ({ PK: `APIKEY#${apiKeySid}`, SK: 'APIKEY' }),
  service: (accountSid: string, serviceSid: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `SERVICE#${serviceSid}` }),
  /** Unique names are compared without case: they become part of a (case-insensitive) domain name. */
  serviceName: (accountSid: string, uniqueName: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `SERVICENAME#${uniqueName.toLowerCase()}` }),
  function: (serviceSid: string, functionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `FUNCTION#${functionSid}` }),
  asset: (serviceSid: string, assetSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `ASSET#${assetSid}` }),
  functionVersion: (serviceSid: string, versionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `FVERSION#${versionSid}` }),
  assetVersion: (serviceSid: string, versionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `AVERSION#${versionSid}` }),
  build: (serviceSid: string, buildSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `${BUILD_SORT_PREFIX}${buildSid}` }),
  environment: (serviceSid: string, environmentSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `ENVIRONMENT#${environmentSid}` }),
  environmentName: (serviceSid: string, uniqueName: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `ENVNAME#${uniqueName.toLowerCase()}` }),
  environmentSuffix: (serviceSid: string, suffix: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `ENVSUFFIX#${suffix.toLowerCase()}` }),
  variable: (serviceSid: string, environmentSid: string, variableSid: string): ItemKey => ({
    PK: `SERVICE#${serviceSid}`,
    SK: `VARIABLE#${environmentSid}#${variableSid}`,
  }),
  /** Variable keys are case-sensitive, as environment variables are. */
  variableKey: (serviceSid: string, environmentSid: string, key: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `VARKEY#${environmentSid}#${key}` }),
  deployment: (serviceSid: string, environmentSid: string, deploymentSid: string): ItemKey => ({
    PK: `SERVICE#${serviceSid}`,
    SK: `${DEPLOYMENT_SORT_PREFIX}${environmentSid}#${deploymentSid}`,
  }),
  idempotency: (accountSid: string, keyHash: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `IDEMPOTENCY#${keyHash}` }),
  rateWindow: (accountSid: string, hour: number): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `RATE#${hour}` }),
  /** The S3 object key of a version's content: SIDs this API issued, never a caller's text. */
  content: (serviceSid: string, versionSid: string): string => `services/${serviceSid}/versions/${versionSid}`,
  /** The S3 key prefix of all of a service's content. */
  serviceContentPrefix: (serviceSid: string): string => `services/${serviceSid}/`,
  /** The partition holding an account's services. */
  accountPartition: (accountSid: string): string => `ACCOUNT#${accountSid}`,
  /** The partition holding everything of a service: functions, assets, versions, builds. */
  servicePartition: (serviceSid: string): string => `SERVICE#${serviceSid}`,
  /** The `ByParent` partition of every account. */
  accountsParent: (): string => 'ACCOUNTS',
  /** The `ByParent` partition of an account's API keys. */
  apiKeysParent: (accountSid: string): string => `APIKEYS#${accountSid}`,
  /** The `ByParent` partition of a function's versions. */
  functionParent: (functionSid: string): string => `FUNCTION#${functionSid}`,
  /** The `ByParent` partition of an asset's versions. */
  assetParent: (assetSid: string): string => `ASSET#${assetSid}`,
};
