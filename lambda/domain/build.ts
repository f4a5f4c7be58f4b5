import { InvalidInput } from './errors';
import type { AssetVersion, Build, BuildVersionEntry, Dependency, FunctionVersion, StoredBuildVersion } from './model';
import { buildCount } from './rate-limit';
import { type Runtime, resolveRuntime } from './runtime';
import { newBuildSid } from './sid';

export interface NewBuildInput {
  accountSid: string;
  serviceSid: string;
  functionVersions: FunctionVersion[];
  assetVersions: AssetVersion[];
  dependencies: Dependency[];
  requestedRuntime: Runtime | undefined;
  lastCompletedRuntime: string | undefined;
  ttlSeconds: number;
  now: Date;
}

/** What a build keeps of a version: what its rendering shows, nothing about the content. */
const versionEntry = (sid: string, ownerSid: string, version: { path: string; visibility: string; date_created: string }): BuildVersionEntry => ({
  s: sid,
  o: ownerSid,
  p: version.path,
  v: version.visibility,
  d: version.date_created,
});

/** The build that has just been asked for: status `building`, expiring after the TTL. */
export function newBuild(input: NewBuildInput): Build {
  const created = input.now.toISOString();
  return {
    sid: newBuildSid(input.now),
    account_sid: input.accountSid,
    service_sid: input.serviceSid,
    status: 'building',
    runtime: resolveRuntime(input.requestedRuntime, input.lastCompletedRuntime),
    dependencies: input.dependencies,
    function_versions: input.functionVersions.map((version) => versionEntry(version.sid, version.function_sid, version)),
    asset_versions: input.assetVersions.map((version) => versionEntry(version.sid, version.asset_sid, version)),
    date_created: created,
    date_updated: created,
    expires_at: Math.floor(input.now.getTime() / 1000) + input.ttlSeconds,
    // Read from the stream by the workflow's start (lib/build-outbox.ts): the hour it counts in.
    ...buildCount(input.now),
  };
}

/**
 * Picks the requested versions out of what the store found, in the order asked, and rejects the
 * request naming every SID that does not exist in the service.
 */
export function requireVersions<T>(parameter: string, sids: readonly string[], found: Map<string, T>): T[] {
  const missing = sids.filter((sid) => !found.has(sid));
  if (missing.length > 0) {
    throw new InvalidInput(`Invalid ${parameter}: not found in this service: ${missing.join(', ')}`);
  }
  return [...new Set(sids)].map((sid) => found.get(sid) as T);
}

/** A stored build's record of a version in the current shape, whether written in it or in the legacy one. */
export function buildVersionEntry(stored: StoredBuildVersion): BuildVersionEntry {
  if ('s' in stored) return stored;
  return { s: stored.sid, o: stored.function_sid ?? stored.asset_sid ?? '', p: stored.path, v: stored.visibility, d: stored.date_created };
}
