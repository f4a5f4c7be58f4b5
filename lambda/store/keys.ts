/**
 * The single-table key design, in one place. Every item has a string partition key `PK` and
 * sort key `SK`:
 *
 * | item                   | PK              | SK               |
 * |------------------------|-----------------|------------------|
 * | account                | `ACCOUNT#AC…`   | `ACCOUNT`        |
 * | service                | `ACCOUNT#AC…`   | `SERVICE#ZS…`    |
 * | function / asset       | `SERVICE#ZS…`   | `FUNCTION#ZH…` / `ASSET#ZH…`     |
 * | function / asset version | `SERVICE#ZS…` | `FVERSION#ZN…` / `AVERSION#ZN…`  |
 * | build                  | `SERVICE#ZS…`   | `BUILD#ZB…`      |
 * | idempotency record     | `ACCOUNT#AC…`   | `IDEMPOTENCY#<sha256 of the key>` |
 * | builds-per-hour counter | `ACCOUNT#AC…`  | `RATE#<hour since epoch>` |
 *
 * Services live under their account, so a service of another account is simply not found.
 * Build SIDs begin with their creation time, so a Query on `BUILD#` lists them in order.
 */
export const TABLE_KEY = { partitionKey: 'PK', sortKey: 'SK' } as const;

/** The attribute DynamoDB's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'expires_at';

export interface ItemKey {
  PK: string;
  SK: string;
}

export const BUILD_SORT_PREFIX = 'BUILD#';

export const keys = {
  account: (accountSid: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: 'ACCOUNT' }),
  service: (accountSid: string, serviceSid: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `SERVICE#${serviceSid}` }),
  function: (serviceSid: string, functionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `FUNCTION#${functionSid}` }),
  asset: (serviceSid: string, assetSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `ASSET#${assetSid}` }),
  functionVersion: (serviceSid: string, versionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `FVERSION#${versionSid}` }),
  assetVersion: (serviceSid: string, versionSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `AVERSION#${versionSid}` }),
  build: (serviceSid: string, buildSid: string): ItemKey => ({ PK: `SERVICE#${serviceSid}`, SK: `${BUILD_SORT_PREFIX}${buildSid}` }),
  idempotency: (accountSid: string, keyHash: string): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `IDEMPOTENCY#${keyHash}` }),
  rateWindow: (accountSid: string, hour: number): ItemKey => ({ PK: `ACCOUNT#${accountSid}`, SK: `RATE#${hour}` }),
  /** The partition holding a service's builds (and versions). */
  servicePartition: (serviceSid: string): string => `SERVICE#${serviceSid}`,
};
