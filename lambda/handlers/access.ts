import { BUILD_SID, SERVICE_SID } from '../builds/sid';
import { authenticate, type Credentials } from '../http/auth';
import { invalidParameter, notFound } from '../http/errors';
import type { ApiEvent } from '../http/middleware';
import type { RequestContext } from '../store/builds-store';
import type { BuildItem, ServiceItem } from '../store/items';

/** The path parameters of a Builds route; a malformed SID can only name a resource that does not exist. */
export function buildPath(event: ApiEvent): { serviceSid: string; buildSid: string | undefined } {
  const serviceSid = event.pathParameters?.ServiceSid ?? '';
  const buildSid = event.pathParameters?.Sid;
  if (!SERVICE_SID.test(serviceSid) || (buildSid !== undefined && !BUILD_SID.test(buildSid))) throw notFound(event.rawPath);
  return { serviceSid, buildSid };
}

/** 401 unless the credentials are the account's; then 404 unless the service is this account's. */
export function authorizeService(credentials: Credentials, found: RequestContext, path: string): ServiceItem {
  authenticate(credentials, found.account);
  if (!found.service) throw notFound(path);
  return found.service;
}

/** As `authorizeService`, and 404 unless the build exists in that service and account. */
export function authorizeBuild(credentials: Credentials, found: RequestContext, path: string): BuildItem {
  authorizeService(credentials, found, path);
  if (!found.build || found.build.account_sid !== credentials.accountSid) throw notFound(path);
  return found.build;
}

/** The parsed input, or 400 / 20001 with the first problem's message (each names its parameter). */
export function parsedOrThrow<T>(result: { success: true; data: T } | { success: false; error: { issues: readonly { message: string }[] } }): T {
  if (result.success) return result.data;
  throw invalidParameter(result.error.issues[0]?.message ?? 'Invalid parameter');
}
