import { config } from '../config';
import { httpRoute, json } from '../http/middleware';
import { renderBuild } from '../http/render';
import { baseUrlOf, paths } from '../http/urls';
import { tableStore } from '../store';
import { collections } from '../store/table-store';
import { authorizeService, buildPath } from './access';
import { listPage } from './list-page';

/** GET /v1/Services/{ServiceSid}/Builds (ListBuild): Twilio paging, newest first. */
export const handler = httpRoute(tableStore, async (event, context) => {
  const { serviceSid } = buildPath(event);
  const found = await tableStore.loadContext({ accountSid: context.credentials.accountSid, serviceSid });
  authorizeService(context.credentials, found, event.rawPath);
  return json(
    200,
    await listPage(event, 'builds', paths.builds(serviceSid), collections.builds(serviceSid), 'ZB', baseUrlOf(event, config.publicBaseUrl), renderBuild),
  );
});
