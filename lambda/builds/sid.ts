import { randomBytes } from 'node:crypto';

export const BUILD_SID = /^ZB[0-9a-fA-F]{32}$/;
export const VERSION_SID = /^ZN[0-9a-fA-F]{32}$/;
export const SERVICE_SID = /^ZS[0-9a-fA-F]{32}$/;
export const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

/**
 * A new Build SID: `ZB` + 12 hex digits of the creation time in milliseconds + 20 random hex
 * digits. Time first, so that SIDs sort by creation and a Query on `BUILD#` lists builds in
 * order with no extra index.
 */
export function newBuildSid(now: Date = new Date()): string {
  const time = now.getTime().toString(16).padStart(12, '0');
  return `ZB${time}${randomBytes(10).toString('hex')}`;
}
