import { config } from '../config';
import { authorizeService, buildPath } from '../http/access';
import { listPage } from '../http/list-page';
import { httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf, paths } from '../http/urls';
import { accounts, collections, readRequestContext } from '../store';

/** GET /v1/Services/{ServiceSid}/Builds (ListBuild): Twilio paging, newest first. */
export const handler = httpRoute(accounts, async (event, context) => {
  const { serviceSid } = buildPath(event);
  const found = await readRequestContext({ accountSid: context.credentials.accountSid, serviceSid });
  authorizeService(context.credentials, found, event.rawPath);
  return json(
    200,
    await listPage(event, 'builds', paths.builds(serviceSid), collections.builds(serviceSid), 'ZB', baseUrlOf(event, config.publicBaseUrl), renderBuild),
  );
});
