import { buildVersionEntry } from '../domain/build';
import type { AssetVersion, Build, Deployable, Deployment, Environment, FunctionVersion, Service, StoredBuildVersion, Variable } from '../domain/model';
import { encodePageToken, type Page, type PageCursor } from '../domain/paging';
import { pageUrl, paths } from './urls';

/** Twilio's timestamps: ISO 8601 in UTC without fractional seconds. */
export function twilioDate(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** The Service resource. */
export function renderService(service: Service, base: string) {
  const path = paths.service(service.sid);
  return {
    sid: service.sid,
    account_sid: service.account_sid,
    friendly_name: service.friendly_name,
    unique_name: service.unique_name,
    include_credentials: service.include_credentials,
    ui_editable: service.ui_editable,
    domain_base: service.domain_base,
    date_created: twilioDate(service.date_created),
    date_updated: twilioDate(service.date_updated),
    url: `${base}${path}`,
    links: {
      environments: `${base}${paths.environments(service.sid)}`,
      functions: `${base}${paths.functions(service.sid)}`,
      assets: `${base}${paths.assets(service.sid)}`,
      builds: `${base}${paths.builds(service.sid)}`,
    },
  };
}

const renderDeployable = (item: Deployable, url: string) => ({
  sid: item.sid,
  account_sid: item.account_sid,
  service_sid: item.service_sid,
  friendly_name: item.friendly_name,
  date_created: twilioDate(item.date_created),
  date_updated: twilioDate(item.date_updated),
  url,
});

/** The Function resource. */
export const renderFunction = (item: Deployable, base: string) => ({
  ...renderDeployable(item, `${base}${paths.function(item.service_sid, item.sid)}`),
  links: { function_versions: `${base}${paths.functionVersions(item.service_sid, item.sid)}` },
});

/** The Asset resource. */
export const renderAsset = (item: Deployable, base: string) => ({
  ...renderDeployable(item, `${base}${paths.asset(item.service_sid, item.sid)}`),
  links: { asset_versions: `${base}${paths.assetVersions(item.service_sid, item.sid)}` },
});

/** The Function Version resource. */
export function renderFunctionVersion(version: FunctionVersion, base: string) {
  return {
    sid: version.sid,
    account_sid: version.account_sid,
    service_sid: version.service_sid,
    function_sid: version.function_sid,
    path: version.path,
    visibility: version.visibility,
    date_created: twilioDate(version.date_created),
    url: `${base}${paths.functionVersion(version.service_sid, version.function_sid, version.sid)}`,
    links: { function_version_content: `${base}${paths.functionVersionContent(version.service_sid, version.function_sid, version.sid)}` },
  };
}

/** The Asset Version resource. */
export function renderAssetVersion(version: AssetVersion, base: string) {
  return {
    sid: version.sid,
    account_sid: version.account_sid,
    service_sid: version.service_sid,
    asset_sid: version.asset_sid,
    path: version.path,
    visibility: version.visibility,
    date_created: twilioDate(version.date_created),
    url: `${base}${paths.assetVersion(version.service_sid, version.asset_sid, version.sid)}`,
  };
}

/** The Function Version Content resource: the content as text. */
export function renderFunctionVersionContent(version: FunctionVersion, content: string, base: string) {
  return {
    sid: version.sid,
    account_sid: version.account_sid,
    service_sid: version.service_sid,
    function_sid: version.function_sid,
    content,
    url: `${base}${paths.functionVersionContent(version.service_sid, version.function_sid, version.sid)}`,
  };
}

/** The Environment resource: `build_sid` and `domain_suffix` are null when unset, as Twilio renders them. */
export function renderEnvironment(environment: Environment, base: string) {
  const { service_sid: serviceSid, sid } = environment;
  return {
    sid,
    account_sid: environment.account_sid,
    service_sid: serviceSid,
    build_sid: environment.build_sid ?? null,
    unique_name: environment.unique_name,
    domain_suffix: environment.domain_suffix ?? null,
    domain_name: environment.domain_name,
    date_created: twilioDate(environment.date_created),
    date_updated: twilioDate(environment.date_updated),
    url: `${base}${paths.environment(serviceSid, sid)}`,
    links: {
      variables: `${base}${paths.variables(serviceSid, sid)}`,
      deployments: `${base}${paths.deployments(serviceSid, sid)}`,
      logs: `${base}${paths.logs(serviceSid, sid)}`,
    },
  };
}

/** The Variable resource. */
export function renderVariable(variable: Variable, base: string) {
  return {
    sid: variable.sid,
    account_sid: variable.account_sid,
    service_sid: variable.service_sid,
    environment_sid: variable.environment_sid,
    key: variable.key,
    value: variable.value,
    date_created: twilioDate(variable.date_created),
    date_updated: twilioDate(variable.date_updated),
    url: `${base}${paths.variable(variable.service_sid, variable.environment_sid, variable.sid)}`,
  };
}

/** The Deployment resource. */
export function renderDeployment(deployment: Deployment, base: string) {
  return {
    sid: deployment.sid,
    account_sid: deployment.account_sid,
    service_sid: deployment.service_sid,
    environment_sid: deployment.environment_sid,
    build_sid: deployment.build_sid,
    date_created: twilioDate(deployment.date_created),
    date_updated: twilioDate(deployment.date_updated),
    url: `${base}${paths.deployment(deployment.service_sid, deployment.environment_sid, deployment.sid)}`,
  };
}

/** A build's view of a version: Twilio shows the visibility in capitals there. */
function renderBuildVersion(build: Build, stored: StoredBuildVersion, ownerKey: 'function_sid' | 'asset_sid') {
  const entry = buildVersionEntry(stored);
  return {
    sid: entry.s,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    path: entry.p,
    visibility: entry.v.toUpperCase(),
    date_created: twilioDate(entry.d),
    [ownerKey]: entry.o,
  };
}

/** The Build resource as Twilio's API renders it. */
export function renderBuild(build: Build, base: string) {
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    status: build.status,
    runtime: build.runtime,
    dependencies: build.dependencies,
    function_versions: build.function_versions.map((version) => renderBuildVersion(build, version, 'function_sid')),
    asset_versions: build.asset_versions.map((version) => renderBuildVersion(build, version, 'asset_sid')),
    date_created: twilioDate(build.date_created),
    date_updated: twilioDate(build.date_updated),
    url: `${base}${paths.build(build.service_sid, build.sid)}`,
    links: { build_status: `${base}${paths.buildStatus(build.service_sid, build.sid)}` },
  };
}

/** The Build Status resource. */
export function renderBuildStatus(build: Build, base: string) {
  return {
    sid: build.sid,
    account_sid: build.account_sid,
    service_sid: build.service_sid,
    status: build.status,
    url: `${base}${paths.buildStatus(build.service_sid, build.sid)}`,
  };
}

/** What a list request asked for. */
export interface PageRequest {
  pageSize: number;
  page: number;
  pageToken: string | undefined;
  cursor: PageCursor | undefined;
}

/**
 * A list page in Twilio's envelope, `{[key]: items, meta}`. `next_page_url` and
 * `previous_page_url` are absolute and carry their own `PageToken`, so a client that follows
 * them verbatim walks the list with no gap or duplicate.
 */
export function renderPage<T extends { sid: string }, R>(
  key: string,
  collectionPath: string,
  request: PageRequest,
  result: Page<T>,
  base: string,
  render: (item: T, base: string) => R,
) {
  const { pageSize, page } = request;
  const first = result.items[0];
  const last = result.items.at(-1);
  const hasNext = last !== undefined && (request.cursor?.direction === 'before' || result.more);
  const hasPrevious = first !== undefined && page > 0 && (request.cursor?.direction !== 'before' || result.more);
  const urlOf = (pageNumber: number, pageToken?: string) => pageUrl(base, collectionPath, { pageSize, page: pageNumber, pageToken });
  return {
    [key]: result.items.map((item) => render(item, base)),
    meta: {
      first_page_url: urlOf(0),
      key,
      next_page_url: hasNext ? urlOf(page + 1, encodePageToken({ direction: 'after', sid: last.sid })) : null,
      page,
      page_size: pageSize,
      previous_page_url: hasPrevious ? urlOf(page - 1, encodePageToken({ direction: 'before', sid: first.sid })) : null,
      url: urlOf(page, request.pageToken),
    },
  };
}
