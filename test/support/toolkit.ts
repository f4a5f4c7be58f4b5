import { type ClientConfig, createGotClient, TwilioServerlessApiClient } from '@twilio-labs/serverless-api';
import { matchRoute } from '../../lambda/routes';
import { routeBodyProblems } from './openapi';

type GotClient = ReturnType<typeof createGotClient>;

/** What a toolkit client sent and what it got back, every request. */
export interface ToolkitTraffic {
  /** `METHOD /path?query` of every request, in order (after retries: each attempt). */
  requests: string[];
  /** The URL every request went to, in order (on the local stack). */
  urls: string[];
  /** Every request body sent as text (a form), in order. */
  bodies: string[];
  /** Statuses of every response, in order. */
  statuses: number[];
  /** Every way a response differs from the spec's schema for its operation (closed mode). */
  problems: string[];
}

/**
 * Twilio's serverless toolkit (`@twilio-labs/serverless-api`), unchanged, with only the address
 * its HTTP client talks to moved: the toolkit builds `https://serverless.twilio.com/v1/…` and, for
 * uploads, `https://serverless-upload.twilio.com/v1/…`, and follows absolute `next_page_url`s as
 * given (those the API made name the stack itself). A got `beforeRequest` hook on its own got
 * instance (made by its own `createGotClient`) rewrites the scheme and host of every twilio.com
 * request to `baseUrl`, in place (got keeps the Basic credentials in the URL object), and refuses
 * any other host. An `afterResponse` hook records the traffic and checks every response body
 * against Twilio's OpenAPI spec.
 */
export function localToolkitClient(config: ClientConfig, baseUrl: string): { client: TwilioServerlessApiClient; traffic: ToolkitTraffic } {
  const target = new URL(baseUrl);
  const traffic: ToolkitTraffic = { requests: [], urls: [], bodies: [], statuses: [], problems: [] };
  const client = new TwilioServerlessApiClient(config);
  const got = createGotClient(config).extend({
    hooks: {
      beforeRequest: [
        (options) => {
          const url = options.url as URL;
          if (/(^|\.)twilio\.com$/.test(url.hostname)) {
            url.protocol = target.protocol;
            url.host = target.host;
          } else if (url.origin !== target.origin) {
            throw new Error(`The toolkit asked for ${url.href}: neither a twilio.com URL nor one of the local stack`);
          }
          traffic.requests.push(`${options.method} ${url.pathname}${url.search}`);
          traffic.urls.push(`${url.origin}${url.pathname}${url.search}`);
          if (typeof options.body === 'string') traffic.bodies.push(options.body);
        },
      ],
      afterResponse: [
        (response) => {
          const url = new URL(response.requestUrl);
          traffic.statuses.push(response.statusCode);
          const route = matchRoute(response.request.options.method, url.pathname).route;
          if (!route) {
            traffic.problems.push(`${url.pathname}: no route`);
          } else if (response.statusCode < 300 && response.statusCode !== 204) {
            const body = typeof response.body === 'string' ? JSON.parse(response.body) : response.body;
            const problems = routeBodyProblems(route.id, response.statusCode, body, { closed: true });
            traffic.problems.push(...problems.map((problem) => `${route.id} ${problem}`));
          }
          return response;
        },
      ],
    },
  });
  (client as unknown as { client: GotClient }).client = got;
  return { client, traffic };
}
