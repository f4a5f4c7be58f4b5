import { config } from '../config';
import type { Service } from '../domain/model';
import { createServiceBody, SERVICE_UNIQUE_NAME, updateServiceBody } from '../domain/schema';
import { SERVICE_SID } from '../domain/sid';
import { authorizeService, parsedOrThrow } from '../http/access';
import { authenticate } from '../http/auth';
import { notFound } from '../http/errors';
import { listPage } from '../http/list-page';
import { type ApiContext, type ApiEvent, httpRoutes, json } from '../http/middleware';
import { renderService } from '../http/render';
import { baseUrlOf, paths } from '../http/urls';
import { accounts, collections, content, readRequestContext, services } from '../store';
import { createService, deleteService, updateService } from '../use-cases/services';

const base = (event: ApiEvent) => baseUrlOf(event, config.publicBaseUrl);

/**
 * The service a `/v1/Services/{Sid}` path names, by SID or, as Twilio allows, by unique name (one
 * more read); 401 for wrong credentials, 404 for no such service in the caller's account.
 */
async function serviceOf(event: ApiEvent, context: ApiContext): Promise<Service> {
  const { accountSid } = context.credentials;
  const sidOrName = event.pathParameters?.Sid ?? '';
  let serviceSid: string | undefined = sidOrName;
  if (!SERVICE_SID.test(sidOrName)) {
    serviceSid = SERVICE_UNIQUE_NAME.test(sidOrName) && sidOrName.length <= 50 ? await services.findSid(accountSid, sidOrName) : undefined;
  }
  const found = await readRequestContext({ accountSid, serviceSid });
  authenticate(context.credentials, found.account);
  if (!serviceSid) throw notFound(event.rawPath);
  return authorizeService(context.credentials, found, event.rawPath);
}

/** 401 unless the credentials are an account's own. */
async function authenticateAccount(context: ApiContext): Promise<string> {
  const { accountSid } = context.credentials;
  authenticate(context.credentials, (await readRequestContext({ accountSid })).account);
  return accountSid;
}

/** The Services routes: /v1/Services and /v1/Services/{Sid}. */
export const handler = httpRoutes(accounts, {
  ListService: {
    handler: async (event, context) => {
      const accountSid = await authenticateAccount(context);
      return json(200, await listPage(event, 'services', paths.services(), collections.services(accountSid), 'ZS', base(event), renderService));
    },
  },
  CreateService: {
    body: 'form',
    handler: async (event, context) => {
      const accountSid = await authenticateAccount(context);
      const request = parsedOrThrow(createServiceBody.safeParse(event.body));
      return json(201, renderService(await createService(services, accountSid, request, new Date()), base(event)));
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
      return json(200, renderService(await updateService(services, service, request, new Date()), base(event)));
    },
  },
  DeleteService: {
    handler: async (event, context) => {
      await deleteService({ services, content }, await serviceOf(event, context));
      return { statusCode: 204 };
    },
  },
});
