/**
 * The API's routes, in one place: the CDK stack creates an API Gateway route for each and wires
 * it to the function named by `entry` (lambda/handlers/<entry>.ts), the local stack dispatches
 * requests with `matchRoute`, the fallback tells 404 from 405 with it, and each function finds
 * the operation of a request by its route key.
 *
 * How routes map to functions: the build routes (the hot path: creates and the status polls of
 * every deploy) keep a small function each; the other families (services; functions and assets
 * with their versions; environments with their variables, deployments and logs) share one
 * function per family behind the route key; uploads get their own
 * function, the one that needs a large body, more memory and s3:PutObject. docs/design.md, "Routes
 * and functions", has the reasons for this split, and docs/how-the-bench-measures.md, "Sharing a
 * function", its measurement.
 */
export const ROUTES = [
  { id: 'ListService', method: 'GET', path: '/v1/Services', entry: 'services' },
  { id: 'CreateService', method: 'POST', path: '/v1/Services', entry: 'services' },
  { id: 'FetchService', method: 'GET', path: '/v1/Services/{Sid}', entry: 'services' },
  { id: 'UpdateService', method: 'POST', path: '/v1/Services/{Sid}', entry: 'services' },
  { id: 'DeleteService', method: 'DELETE', path: '/v1/Services/{Sid}', entry: 'services' },
  { id: 'ListFunction', method: 'GET', path: '/v1/Services/{ServiceSid}/Functions', entry: 'functions' },
  { id: 'CreateFunction', method: 'POST', path: '/v1/Services/{ServiceSid}/Functions', entry: 'functions' },
  { id: 'FetchFunction', method: 'GET', path: '/v1/Services/{ServiceSid}/Functions/{Sid}', entry: 'functions' },
  { id: 'UpdateFunction', method: 'POST', path: '/v1/Services/{ServiceSid}/Functions/{Sid}', entry: 'functions' },
  { id: 'DeleteFunction', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Functions/{Sid}', entry: 'functions' },
  { id: 'ListFunctionVersion', method: 'GET', path: '/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions', entry: 'functions' },
  { id: 'CreateFunctionVersion', method: 'POST', path: '/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions', entry: 'upload-version' },
  { id: 'FetchFunctionVersion', method: 'GET', path: '/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}', entry: 'functions' },
  {
    id: 'FetchFunctionVersionContent',
    method: 'GET',
    path: '/v1/Services/{ServiceSid}/Functions/{FunctionSid}/Versions/{Sid}/Content',
    entry: 'functions',
  },
  { id: 'ListAsset', method: 'GET', path: '/v1/Services/{ServiceSid}/Assets', entry: 'functions' },
  { id: 'CreateAsset', method: 'POST', path: '/v1/Services/{ServiceSid}/Assets', entry: 'functions' },
  { id: 'FetchAsset', method: 'GET', path: '/v1/Services/{ServiceSid}/Assets/{Sid}', entry: 'functions' },
  { id: 'UpdateAsset', method: 'POST', path: '/v1/Services/{ServiceSid}/Assets/{Sid}', entry: 'functions' },
  { id: 'DeleteAsset', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Assets/{Sid}', entry: 'functions' },
  { id: 'ListAssetVersion', method: 'GET', path: '/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions', entry: 'functions' },
  { id: 'CreateAssetVersion', method: 'POST', path: '/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions', entry: 'upload-version' },
  { id: 'FetchAssetVersion', method: 'GET', path: '/v1/Services/{ServiceSid}/Assets/{AssetSid}/Versions/{Sid}', entry: 'functions' },
  { id: 'ListEnvironment', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments', entry: 'environments' },
  { id: 'CreateEnvironment', method: 'POST', path: '/v1/Services/{ServiceSid}/Environments', entry: 'environments' },
  { id: 'FetchEnvironment', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{Sid}', entry: 'environments' },
  { id: 'DeleteEnvironment', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Environments/{Sid}', entry: 'environments' },
  { id: 'ListVariable', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables', entry: 'environments' },
  { id: 'CreateVariable', method: 'POST', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables', entry: 'environments' },
  { id: 'FetchVariable', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}', entry: 'environments' },
  { id: 'UpdateVariable', method: 'POST', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}', entry: 'environments' },
  { id: 'DeleteVariable', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Variables/{Sid}', entry: 'environments' },
  { id: 'ListDeployment', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments', entry: 'environments' },
  { id: 'CreateDeployment', method: 'POST', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments', entry: 'environments' },
  { id: 'FetchDeployment', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Deployments/{Sid}', entry: 'environments' },
  { id: 'ListLog', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Logs', entry: 'environments' },
  { id: 'FetchLog', method: 'GET', path: '/v1/Services/{ServiceSid}/Environments/{EnvironmentSid}/Logs/{Sid}', entry: 'environments' },
  { id: 'CreateBuild', method: 'POST', path: '/v1/Services/{ServiceSid}/Builds', entry: 'create-build' },
  { id: 'ListBuild', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds', entry: 'list-builds' },
  { id: 'FetchBuild', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds/{Sid}', entry: 'fetch-build' },
  { id: 'DeleteBuild', method: 'DELETE', path: '/v1/Services/{ServiceSid}/Builds/{Sid}', entry: 'delete-build' },
  { id: 'FetchBuildStatus', method: 'GET', path: '/v1/Services/{ServiceSid}/Builds/{Sid}/Status', entry: 'fetch-build-status' },
] as const;

export type Route = (typeof ROUTES)[number];
export type RouteId = Route['id'];
/** The functions the routes are served by. */
export type FunctionEntry = Route['entry'];

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
