import { notFound } from '../http/errors';
import { httpRoute } from '../http/middleware';
import { tableStore } from '../store';
import { authorizeService, buildPath } from './access';

/** DELETE /v1/Services/{ServiceSid}/Builds/{Sid} (DeleteBuild): 204, then the build is gone. */
export const handler = httpRoute(async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const { accountSid } = context.credentials;
  const found = await tableStore.loadContext({ accountSid, serviceSid });
  authorizeService(context.credentials, found, event.rawPath);
  if (!(await tableStore.deleteBuild(accountSid, serviceSid, buildSid!))) throw notFound(event.rawPath);
  return { statusCode: 204 };
});
