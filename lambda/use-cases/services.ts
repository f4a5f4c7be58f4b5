import { AlreadyExists, ResourceNotFound } from '../domain/errors';
import type { Service } from '../domain/model';
import { newService } from '../domain/resources';
import type { CreateServiceRequest, UpdateServiceRequest } from '../domain/schema';
import type { ContentStore, ServiceStore } from './ports';

/** Creates a service; AlreadyExists when the account has one of the same unique name. */
export async function createService(services: ServiceStore, accountSid: string, request: CreateServiceRequest, now: Date): Promise<Service> {
  const service = newService(accountSid, request, now);
  if ((await services.insert(service)) === 'name-taken') {
    throw new AlreadyExists(`Service with UniqueName '${request.UniqueName}' already exists`);
  }
  return service;
}

/** Changes a service's friendly name and flags; its unique name and domain base never change. */
export async function updateService(services: ServiceStore, service: Service, request: UpdateServiceRequest, now: Date): Promise<Service> {
  const updated = await services.update(service, {
    friendly_name: request.FriendlyName,
    include_credentials: request.IncludeCredentials,
    ui_editable: request.UiEditable,
    date_updated: now.toISOString(),
  });
  if (!updated) throw new ResourceNotFound(service.sid);
  return updated;
}

/** Deletes a service and everything under it: items first (the API forgets them at once), then content. */
export async function deleteService(stores: { services: ServiceStore; content: () => ContentStore }, service: Service): Promise<void> {
  if (!(await stores.services.delete(service))) throw new ResourceNotFound(service.sid);
  await stores.content().deleteService(service.sid);
}
