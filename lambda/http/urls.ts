import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * The base URL the API is served on: the configured public base URL when set (then no request
 * header can change it), else the scheme and host the request came in on.
 */
export function baseUrlOf(event: APIGatewayProxyEventV2, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl) return publicBaseUrl;
  const proto = event.headers['x-forwarded-proto'] === 'http' ? 'http' : 'https';
  return `${proto}://${event.requestContext.domainName}`;
}

/** Twilio's paging position of a list page. */
export interface PagePosition {
  pageSize: number;
  page: number;
  pageToken?: string;
}

const service = (serviceSid: string) => `/v1/Services/${serviceSid}`;
const fn = (serviceSid: string, functionSid: string) => `${service(serviceSid)}/Functions/${functionSid}`;
const asset = (serviceSid: string, assetSid: string) => `${service(serviceSid)}/Assets/${assetSid}`;
const build = (serviceSid: string, buildSid: string) => `${service(serviceSid)}/Builds/${buildSid}`;
const environment = (serviceSid: string, environmentSid: string) => `${service(serviceSid)}/Environments/${environmentSid}`;

/** Every path of the API's resources, built in one place (relative to the base URL). */
export const paths = {
  services: () => '/v1/Services',
  service,
  functions: (serviceSid: string) => `${service(serviceSid)}/Functions`,
  function: fn,
  functionVersions: (serviceSid: string, functionSid: string) => `${fn(serviceSid, functionSid)}/Versions`,
  functionVersion: (serviceSid: string, functionSid: string, versionSid: string) => `${fn(serviceSid, functionSid)}/Versions/${versionSid}`,
  functionVersionContent: (serviceSid: string, functionSid: string, versionSid: string) => `${fn(serviceSid, functionSid)}/Versions/${versionSid}/Content`,
  assets: (serviceSid: string) => `${service(serviceSid)}/Assets`,
  asset,
  assetVersions: (serviceSid: string, assetSid: string) => `${asset(serviceSid, assetSid)}/Versions`,
  assetVersion: (serviceSid: string, assetSid: string, versionSid: string) => `${asset(serviceSid, assetSid)}/Versions/${versionSid}`,
  environments: (serviceSid: string) => `${service(serviceSid)}/Environments`,
  environment,
  variables: (serviceSid: string, environmentSid: string) => `${environment(serviceSid, environmentSid)}/Variables`,
  variable: (serviceSid: string, environmentSid: string, variableSid: string) => `${environment(serviceSid, environmentSid)}/Variables/${variableSid}`,
  deployments: (serviceSid: string, environmentSid: string) => `${environment(serviceSid, environmentSid)}/Deployments`,
  deployment: (serviceSid: string, environmentSid: string, deploymentSid: string) => `${environment(serviceSid, environmentSid)}/Deployments/${deploymentSid}`,
  logs: (serviceSid: string, environmentSid: string) => `${environment(serviceSid, environmentSid)}/Logs`,
  builds: (serviceSid: string) => `${service(serviceSid)}/Builds`,
  build,
  buildStatus: (serviceSid: string, buildSid: string) => `${build(serviceSid, buildSid)}/Status`,
};

/** The URL of a list page: the collection's path with Twilio's `PageSize`, `Page` and `PageToken`. */
export function pageUrl(base: string, collectionPath: string, position: PagePosition): string {
  const query = new URLSearchParams({ PageSize: String(position.pageSize), Page: String(position.page) });
  if (position.pageToken) query.set('PageToken', position.pageToken);
  return `${base}${collectionPath}?${query}`;
}
