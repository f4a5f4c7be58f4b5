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

/** Every URL of the Builds resource, built in one place. */
export const urls = {
  builds: (base: string, serviceSid: string): string => `${base}/v1/Services/${serviceSid}/Builds`,
  build: (base: string, serviceSid: string, buildSid: string): string => `${base}/v1/Services/${serviceSid}/Builds/${buildSid}`,
  buildStatus: (base: string, serviceSid: string, buildSid: string): string => `${base}/v1/Services/${serviceSid}/Builds/${buildSid}/Status`,
  buildsPage: (base: string, serviceSid: string, page: { pageSize: number; page: number; pageToken?: string }): string => {
    const query = new URLSearchParams({ PageSize: String(page.pageSize), Page: String(page.page) });
    if (page.pageToken) query.set('PageToken', page.pageToken);
    return `${base}/v1/Services/${serviceSid}/Builds?${query}`;
  },
};
