import { invalidParameter } from '../http/errors';
import { urls } from '../http/urls';
import type { BuildPage, PageCursor } from '../store/builds-store';
import type { AssetVersionItem, BuildItem, Dependency, FunctionVersionItem } from '../store/items';
import { type Runtime, resolveRuntime } from './runtime';
import { newBuildSid } from './sid';

/** Twilio's timestamps: ISO 8601 in UTC without fractional seconds. */
export function twilioDate(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

export interface NewBuildInput {
  accountSid: string;
  serviceSid: string;
  functionVersions: FunctionVersionItem[];
  assetVersions: AssetVersionItem[];
  dependencies: Dependency[];
  requestedRuntime: Runtime | undefined;
  lastCompletedRuntime: string | undefined;
  ttlSeconds: number;
  now: Date;
}

/** The item of a build that has just been asked for: status `building`, expiring after the TTL. */
export function newBuild(input: NewBuildInput): BuildItem {
  const created = input.now.toISOString();
  return {
    sid: newBuildSid(input.now),
    account_sid: input.accountSid,
    service_sid: input.serviceSid,
    status: 'building',
    runtime: resolveRuntime(input.requestedRuntime, input.lastCompletedRuntime),
    dependencies: input.dependencies,
    function_versions: input.functionVersions,
    asset_versions: input.assetVersions,
    date_created: created,
    date_updated: created,
    expires_at: Math.floor(input.now.getTime() / 1000) + input.ttlSeconds,
  };
}

/**
 * Picks the requested versions out of what the store found, in the order asked, and rejects the
 * request naming every SID that does not exist in the service.
 */
export function requireVersions<T>(parameter: string, sids: readonly string[], found: Map<string, T>): T[] {
  const missing = sids.filter((sid) => !found.has(sid));
  if (missing.length > 0) {
    throw invalidParameter(`Invalid ${parameter}: not found in this service: ${missing.join(', ')}`);
  }
  return [...new Set(sids)].map((sid) => found.get(sid) as T);
}

const renderVersion = ({ sid, account_sid, service_sid, path, visibility, date_created }: FunctionVersionItem | AssetVersionItem) => ({
  sid,
  account_sid,
  service_sid,
  path,
  visibility: visibility.toUpperCase(),
  date_created: twilioDate(date_created),
});

/** The Build resource as Twilio's API renders it. */
export function renderBuild(build: BuildItem, baseUrl: string) {
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    status: build.status,
    runtime: build.runtime,
    dependencies: build.dependencies,
    function_versions: build.function_versions.map((version) => ({ ...renderVersion(version), function_sid: version.function_sid })),
    asset_versions: build.asset_versions.map((version) => ({ ...renderVersion(version), asset_sid: version.asset_sid })),
    date_created: twilioDate(build.date_created),
    date_updated: twilioDate(build.date_updated),
    url: urls.build(baseUrl, build.service_sid, build.sid),
    links: { build_status: urls.buildStatus(baseUrl, build.service_sid, build.sid) },
  };
}

/** The Build Status resource. */
export function renderBuildStatus(build: BuildItem, baseUrl: string) {
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    status: build.status,
    url: urls.buildStatus(baseUrl, build.service_sid, build.sid),
  };
}

const PAGE_TOKEN = /^P([AB])(ZB[0-9a-fA-F]{32})$/;

/** The opaque `PageToken` of the page right after (`PA…`) or right before (`PB…`) a build. */
export function encodePageToken(cursor: PageCursor): string {
  return `P${cursor.direction === 'after' ? 'A' : 'B'}${cursor.sid}`;
}

/** The cursor a `PageToken` stands for; 400 when the token is not one this API issued. */
export function decodePageToken(token: string): PageCursor {
  const match = PAGE_TOKEN.exec(token);
  if (!match) throw invalidParameter('Invalid PageToken: not a token this API issued');
  return { direction: match[1] === 'A' ? 'after' : 'before', sid: match[2] as string };
}

export interface PageRequest {
  serviceSid: string;
  pageSize: number;
  page: number;
  pageToken: string | undefined;
  cursor: PageCursor | undefined;
}

/**
 * A list page in Twilio's envelope. `next_page_url` and `previous_page_url` carry their own
 * `PageToken`, so a client that follows them verbatim walks the list with no gap or duplicate.
 */
export function renderBuildPage(request: PageRequest, result: BuildPage, baseUrl: string) {
  const { serviceSid, pageSize, page } = request;
  const first = result.builds[0];
  const last = result.builds.at(-1);
  const hasNext = last !== undefined && (request.cursor?.direction === 'before' || result.more);
  const hasPrevious = first !== undefined && page > 0 && (request.cursor?.direction !== 'before' || result.more);
  const pageUrl = (pageNumber: number, pageToken?: string) => urls.buildsPage(baseUrl, serviceSid, { pageSize, page: pageNumber, pageToken });
  return {
    builds: result.builds.map((build) => renderBuild(build, baseUrl)),
    meta: {
      first_page_url: pageUrl(0),
      key: 'builds',
      next_page_url: hasNext ? pageUrl(page + 1, encodePageToken({ direction: 'after', sid: last.sid })) : null,
      page,
      page_size: pageSize,
      previous_page_url: hasPrevious ? pageUrl(page - 1, encodePageToken({ direction: 'before', sid: first.sid })) : null,
      url: pageUrl(page, request.pageToken),
    },
  };
}
