import { authorizeService, buildPath } from '../http/access';
import { httpRoute } from '../http/middleware';
import { accounts, builds, readRequestContext } from '../store';
import { deleteBuild } from '../use-cases/builds';

/**
 * DELETE /v1/Services/{ServiceSid}/Builds/{Sid} (DeleteBuild): 204, then the build is gone; 409
 * while an environment points to it (deploy another build there, or delete the environment, first).
 */
export const handler = httpRoute(accounts, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const found = await readRequestContext({ accountSid: context.credentials.accountSid, serviceSid });
  const service = authorizeService(context.credentials, found, event.rawPath);
  await deleteBuild(builds, service, buildSid!);
  return { statusCode: 204 };
});
