import { ResourceInUse } from '../domain/errors';
import { notFound } from '../http/errors';
import { httpRoute } from '../http/middleware';
import { tableStore } from '../store';
import { authorizeService, buildPath } from './access';

/**
 * DELETE /v1/Services/{ServiceSid}/Builds/{Sid} (DeleteBuild): 204, then the build is gone; 409
 * while an environment points to it (deploy another build there, or delete the environment, first).
 */
export const handler = httpRoute(tableStore, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const { accountSid } = context.credentials;
  const found = await tableStore.loadContext({ accountSid, serviceSid });
  authorizeService(context.credentials, found, event.rawPath);
  const outcome = await tableStore.deleteBuild(accountSid, serviceSid, buildSid!);
  if (outcome === 'missing') throw notFound(event.rawPath);
  if (outcome === 'deployed')
    throw new ResourceInUse(`Build ${buildSid} is deployed to an environment: deploy another build there or delete the environment first`);
  return { statusCode: 204 };
});
