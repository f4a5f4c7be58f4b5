import type { Build, Service } from '../domain/model';
import { BUILD_SID, ENVIRONMENT_SID, FUNCTION_OR_ASSET_SID, SERVICE_SID, VERSION_SID } from '../domain/sid';
import { readRequestContext } from '../store';
import type { RequestContext } from '../use-cases/ports';
import { authenticate, type Credentials } from './auth';
import { invalidParameter, notFound } from './errors';
import type { ApiContext, ApiEvent } from './middleware';

const PATH_SIDS: Record<string, RegExp> = {
  ServiceSid: SERVICE_SID,
  FunctionSid: FUNCTION_OR_ASSET_SID,
  AssetSid: FUNCTION_OR_ASSET_SID,
  EnvironmentSid: ENVIRONMENT_SID,
};

/**
 * A SID from the request path, checked against its pattern: a malformed SID can only name a
 * resource that does not exist (404). `Sid` is the route's own resource, of the given pattern.
 */
export function pathSid(event: ApiEvent, name: string, pattern: RegExp | undefined = PATH_SIDS[name]): string {
  const value = event.pathParameters?.[name] ?? '';
  if (!pattern?.test(value)) throw notFound(event.rawPath);
  return value;
}

/** The path parameters of a Builds route; a malformed SID can only name a resource that does not exist. */
export function buildPath(event: ApiEvent): { serviceSid: string; buildSid: string | undefined } {
  const serviceSid = pathSid(event, 'ServiceSid');
  const buildSid = event.pathParameters?.Sid === undefined ? undefined : pathSid(event, 'Sid', BUILD_SID);
  return { serviceSid, buildSid };
}

/** The version SID of a version route. */
export const versionSid = (event: ApiEvent): string => pathSid(event, 'Sid', VERSION_SID);

/** 401 unless the credentials are the account's; then 404 unless the service is this account's. */
export function authorizeService(credentials: Credentials, found: RequestContext, path: string): Service {
  authenticate(credentials, found.account);
  if (!found.service) throw notFound(path);
  return found.service;
}

/** The service of a `/v1/Services/{ServiceSid}/…` route, read with the account and checked to be the caller's (401, 404). */
export async function loadService(event: ApiEvent, context: ApiContext): Promise<Service> {
  const found = await readRequestContext({ accountSid: context.credentials.accountSid, serviceSid: pathSid(event, 'ServiceSid') });
  return authorizeService(context.credentials, found, event.rawPath);
}

/** As `authorizeService`, and 404 unless the build exists in that service and account. */
export function authorizeBuild(credentials: Credentials, found: RequestContext, path: string): Build {
  authorizeService(credentials, found, path);
  if (!found.build || found.build.account_sid !== credentials.accountSid) throw notFound(path);
  return found.build;
}

/** What a Status request reads: the account and the build, not the service (the build names its account). */
export const loadAccountAndBuild = (
  accountSid: string,
  serviceSid: string,
  buildSid: string | undefined,
  options: { abortSignal?: AbortSignal } = {},
): Promise<RequestContext> => readRequestContext({ accountSid, serviceSid, buildSid, withoutService: true }, options);

/**
 * 401 unless the credentials are the account's; then 404 unless the build exists under that
 * service and is this account's. For a context read by `loadAccountAndBuild`: the build's key is under
 * its service and the build names its account, so the service item is not needed.
 */
export function authorizeOwnBuild(credentials: Credentials, found: RequestContext, path: string): Build {
  authenticate(credentials, found.account);
  if (!found.build || found.build.account_sid !== credentials.accountSid) throw notFound(path);
  return found.build;
}

/** The parsed input, or 400 / 20001 with the first problem's message (each names its parameter). */
export function parsedOrThrow<T>(result: { success: true; data: T } | { success: false; error: { issues: readonly { message: string }[] } }): T {
  if (result.success) return result.data;
  throw invalidParameter(result.error.issues[0]?.message ?? 'Invalid parameter');
}
