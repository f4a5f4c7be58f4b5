import { AlreadyExists, ResourceNotFound } from '../domain/errors';
import { newService } from '../domain/resources';
import type { CreateServiceRequest, UpdateServiceRequest } from '../domain/schema';
import type { ServiceItem } from '../store/items';
import { keys } from '../store/keys';
import type { Stores } from './ports';

/** Creates a service; AlreadyExists when the account has one of the same unique name. */
export async function createService(stores: Stores, accountSid: string, request: CreateServiceRequest, now: Date): Promise<ServiceItem> {
  const service = newService(accountSid, request, now);
  if ((await stores.table.insertService(service)) === 'name-taken') {
    throw new AlreadyExists(`Service with UniqueName '${request.UniqueName}' already exists`);
  }
  return service;
}

/** Changes a service's friendly name and flags; its unique name and domain base never change. */
export async function updateService(stores: Stores, service: ServiceItem, request: UpdateServiceRequest, now: Date): Promise<ServiceItem> {
  const updated = await stores.table.update<ServiceItem>(keys.service(service.account_sid, service.sid), service.account_sid, {
    friendly_name: request.FriendlyName,
    include_credentials: request.IncludeCredentials,
    ui_editable: request.UiEditable,
    date_updated: now.toISOString(),
  });
  if (!updated) throw new ResourceNotFound(service.sid);
  return updated;
}

/** Deletes a service and everything under it: items first (the API forgets them at once), then content. */
export async function deleteService(stores: Stores, service: ServiceItem): Promise<void> {
  if (!(await stores.table.deleteService(service))) throw new ResourceNotFound(service.sid);
  await stores.content().deletePrefix(keys.serviceContentPrefix(service.sid));
}
