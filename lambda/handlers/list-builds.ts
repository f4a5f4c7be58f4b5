import { decodePageToken, renderBuildPage } from '../builds/build';
import { listBuildsQuery } from '../builds/schema';
import { config } from '../config';
import { httpRoute, json } from '../http/middleware';
import { baseUrlOf } from '../http/urls';
import { buildsStore } from '../store';
import { authorizeService, buildPath, parsedOrThrow } from './access';

/** GET /v1/Services/{ServiceSid}/Builds (ListBuild): Twilio paging, newest first. */
export const handler = httpRoute(async (event, context) => {
  const { serviceSid } = buildPath(event);
  const { accountSid } = context.credentials;
  const found = await buildsStore.loadContext({ accountSid, serviceSid });
  authorizeService(context.credentials, found, event.rawPath);
  const query = parsedOrThrow(listBuildsQuery.safeParse(event.queryStringParameters ?? {}));
  const cursor = query.PageToken === undefined ? undefined : decodePageToken(query.PageToken);

  const page = await buildsStore.listBuilds(serviceSid, query.PageSize, cursor);
  const request = { serviceSid, pageSize: query.PageSize, page: query.Page, pageToken: query.PageToken, cursor };
  return json(200, renderBuildPage(request, page, baseUrlOf(event, config.publicBaseUrl)));
});
