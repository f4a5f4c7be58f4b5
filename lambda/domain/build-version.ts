import type { BuildVersionEntry, StoredBuildVersion } from '../store/items';

/** A stored build's record of a version in the current shape, whether written in it or in the legacy one. */
export function buildVersionEntry(stored: StoredBuildVersion): BuildVersionEntry {
  if ('s' in stored) return stored;
  return { s: stored.sid, o: stored.function_sid ?? stored.asset_sid ?? '', p: stored.path, v: stored.visibility, d: stored.date_created };
}
