import { config } from '../config';
import { createServiceBody, SERVICE_UNIQUE_NAME, updateServiceBody } from '../domain/schema';
import { SERVICE_SID } from '../domain/sid';
import { authenticate } from '../http/auth';
import { notFound } from '../http/errors';
import { type ApiContext, type ApiEvent, httpRoutes, json } from '../http/middleware';
import { renderService } from '../http/render';
import { baseUrlOf, paths } from '../http/urls';
import { tableStore } from '../store';
import type { ServiceItem } from '../store/items';
import { collections } from '../store/table-store';
import { createService, deleteService, updateService } from '../use-cases/services';
import { authorizeService, parsedOrThrow } from './access';
import { listPage } from './list-page';
import { stores } from './stores';

const base = (event: ApiEvent) => baseUrlOf(event, config.publicBaseUrl);

/**
 * The service a `/v1/Services/{Sid}` path names, by SID or, as Twilio allows, by unique name (one
 * more read); 401 for wrong credentials, 404 for no such service in the caller's account.
 */
async function serviceOf(event: ApiEvent, context: ApiContext): Promise<ServiceItem> {
  const { accountSid } = context.credentials;
  const sidOrName = event.pathParameters?.Sid ?? '';
  let serviceSid: string | undefined = sidOrName;
  if (!SERVICE_SID.test(sidOrName)) {
    serviceSid = SERVICE_UNIQUE_NAME.test(sidOrName) && sidOrName.length <= 50 ? await tableStore.findServiceSid(accountSid, sidOrName) : undefined;
  }
  const found = await tableStore.loadContext({ accountSid, serviceSid });
  authenticate(context.credentials, found.account);
  if (!serviceSid) throw notFound(event.rawPath);
  return authorizeService(context.credentials, found, event.rawPath);
}

/** The Services routes: /v1/Services and /v1/Services/{Sid}. */
export const handler = httpRoutes(tableStore, {
  ListService: {
    handler: async (event, context) => {
      const { accountSid } = context.credentials;
      authenticate(context.credentials, (await tableStore.loadContext({ accountSid })).account);
      return json(200, await listPage(event, 'services', paths.services(), collections.services(accountSid), 'ZS', base(event), renderService));
    },
  },
  CreateService: {
    body: 'form',
    handler: async (event, context) => {
      const { accountSid } = context.credentials;
      authenticate(context.credentials, (await tableStore.loadContext({ accountSid })).account);
      const request = parsedOrThrow(createServiceBody.safeParse(event.body));
      return json(201, renderService(await createService(stores, accountSid, request, new Date()), base(event)));
    },
  },
  FetchService: {
    handler: async (event, context) => json(200, renderService(await serviceOf(event, context), base(event))),
  },
  UpdateService: {
    body: 'form',
    handler: async (event, context) => {
      const service = await serviceOf(event, context);
      const request = parsedOrThrow(updateServiceBody.safeParse(event.body));
      return json(200, renderService(await updateService(stores, service, request, new Date()), base(event)));
    },
  },
  DeleteService: {
    handler: async (event, context) => {
      await deleteService(stores, await serviceOf(event, context));
      return { statusCode: 204 };
    },
  },
});
