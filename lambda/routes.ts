/**
 * The Builds API's routes, in one place: the CDK stack creates an API Gateway route and a
 * function for each, the local stack dispatches requests with `matchRoute`, and the fallback
 * handler tells 404 from 405 with it.
 */
export const ROUTES = [
  { id: 'CreateBuild', method: 'POST', path: '/v1/Services/{ServiceSid}/Builds', entry: 'create-build' },
  { id: 'ListBuild', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds', entry: 'list-builds' },
  { id: 'FetchBuild', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds/{Sid}', entry: 'fetch-build' },
  { id: 'DeleteBuild', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Builds/{Sid}', entry: 'delete-build' },
  { id: 'FetchBuildStatus', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds/{Sid}/Status', entry: 'fetch-build-status' },
] as const;

export type Route = (typeof ROUTES)[number];

/** API Gateway's route key of a route, e.g. `GET /v1/Services/{ServiceSid}/Builds`. */
export const routeKeyOf = (route: Route): string => `${route.method} ${route.path}`;

/** The handler that answers every request no route matches (404, 405, CORS preflight). */
export const FALLBACK_ENTRY = 'fallback';

const patternOf = (path: string): RegExp => new RegExp(`^${path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
const compiled = ROUTES.map((route) => ({ route, pattern: patternOf(route.path) }));

export interface RouteMatch {
  /** The route for this method and path, if any. */
  route?: Route;
  pathParameters: Record<string, string>;
  /** Methods served on this path: empty for an unknown path. */
  allowedMethods: string[];
}

/** Matches a request the way API Gateway matches its route keys. */
export function matchRoute(method: string, path: string): RouteMatch {
  let route: Route | undefined;
  let pathParameters: Record<string, string> = {};
  const allowedMethods: string[] = [];
  for (const candidate of compiled) {
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    allowedMethods.push(candidate.route.method);
    if (candidate.route.method === method.toUpperCase()) {
      route = candidate.route;
      pathParameters = { ...match.groups };
    }
  }
  return { route, pathParameters, allowedMethods };
}
