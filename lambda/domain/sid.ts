import { randomFillSync } from 'node:crypto';

/** A SID of the given two-letter prefix: the prefix and 32 hex digits. */
const sidPattern = (prefix: string): RegExp => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);

export const ACCOUNT_SID = sidPattern('AC');
/** An API key: Twilio's `SK` prefix. */
export const API_KEY_SID = sidPattern('SK');
export const SERVICE_SID = sidPattern('ZS');
/** Functions and assets share Twilio's `ZH` prefix. */
export const FUNCTION_OR_ASSET_SID = sidPattern('ZH');
export const VERSION_SID = sidPattern('ZN');
export const BUILD_SID = sidPattern('ZB');
export const ENVIRONMENT_SID = sidPattern('ZE');
export const VARIABLE_SID = sidPattern('ZV');
export const DEPLOYMENT_SID = sidPattern('ZD');
/** Any SID this API issues or accepts: two capital letters and 32 hex digits. */
export const ANY_SID = /^[A-Z]{2}[0-9a-fA-F]{32}$/;

export type SidPrefix = 'AC' | 'SK' | 'ZS' | 'ZH' | 'ZN' | 'ZB' | 'ZE' | 'ZV' | 'ZD';

/**
 * A new SID: the prefix + 12 hex digits of the creation time in milliseconds + 20 random hex
 * digits. Time first, so that SIDs sort by creation and a Query on a sort-key prefix lists a
 * collection in order with no extra index.
 */
export function newSid(prefix: SidPrefix, now: Date = new Date()): string {
  const time = now.getTime().toString(16).padStart(12, '0');
  return `${prefix}${time}${randomHex(RANDOM_BYTES_PER_SID)}`;
}

const RANDOM_BYTES_PER_SID = 10;
// Random bytes drawn from the CSPRNG in blocks, as node:crypto's randomUUID does: a 10-byte
// randomBytes per SID is a call into OpenSSL each time (about a fifth of a create's own CPU).
const randomPool = Buffer.alloc(RANDOM_BYTES_PER_SID * 256);
let randomPoolOffset = randomPool.length;

function randomHex(bytes: number): string {
  if (randomPoolOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  randomPoolOffset += bytes;
  return randomPool.toString('hex', randomPoolOffset - bytes, randomPoolOffset);
}

/** A new Build SID (see `newSid`). */
export const newBuildSid = (now: Date = new Date()): string => newSid('ZB', now);
