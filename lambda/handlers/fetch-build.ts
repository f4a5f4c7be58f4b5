import { config } from '../config';
import { httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf } from '../http/urls';
import { tableStore } from '../store';
import { authorizeBuild, buildPath } from './access';

/** GET /v1/Services/{ServiceSid}/Builds/{Sid} (FetchBuild). */
export const handler = httpRoute(tableStore, async (event, context) => {
  const { serviceSid, buildSid } = buildPath(event);
  const found = await tableStore.loadContext({ accountSid: context.credentials.accountSid, serviceSid, buildSid });
  const build = authorizeBuild(context.credentials, found, event.rawPath);
  return json(200, renderBuild(build, baseUrlOf(event, config.publicBaseUrl)));
});
