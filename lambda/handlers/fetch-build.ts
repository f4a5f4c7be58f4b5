import { config } from '../config';
import { authorizeBuild, buildPath } from '../http/access';
import { httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { accounts, readRequestContext } from '../store';

/** GET /v1/Services/{ServiceSid}/Builds/{Sid} (FetchBuild). */
export const handler = httpRoute(accounts, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const found = await readRequestContext({ accountSid: context.credentials.accountSid, serviceSid, buildSid });
  const build = authorizeBuild(context.credentials, found, event.rawPath);
  return json(200, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)));
});
