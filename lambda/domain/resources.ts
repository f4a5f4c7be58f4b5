import { randomInt } from 'node:crypto';
import type { AssetVersionItem, FunctionItem, FunctionVersionItem, ServiceItem } from '../store/items';
import type { CreateServiceRequest, UploadVersionRequest } from './schema';
import { newSid } from './sid';

/**
 * A service's domain base: its unique name (lowercase, as in a domain name) and a random
 * four-digit suffix, fixed at creation, as Twilio builds it (`my-service-1234`).
 */
export const newDomainBase = (uniqueName: string): string => `${uniqueName.toLowerCase()}-${randomInt(1000, 10000)}`;

/** The item of a new service. */
export function newService(accountSid: string, request: CreateServiceRequest, now: Date): ServiceItem {
  const created = now.toISOString();
  return {
    sid: newSid('ZS', now),
    account_sid: accountSid,
    unique_name: request.UniqueName,
    friendly_name: request.FriendlyName,
    include_credentials: request.IncludeCredentials,
    ui_editable: request.UiEditable,
    domain_base: newDomainBase(request.UniqueName),
    date_created: created,
    date_updated: created,
  };
}

/** The item of a new function or asset of a service. */
export function newDeployable(service: Pick<ServiceItem, 'sid' | 'account_sid'>, friendlyName: string, now: Date): FunctionItem {
  const created = now.toISOString();
  return {
    sid: newSid('ZH', now),
    account_sid: service.account_sid,
    service_sid: service.sid,
    friendly_name: friendlyName,
    date_created: created,
    date_updated: created,
  };
}

export type VersionKind = 'function' | 'asset';

/** What is known of uploaded content once it is stored. */
export interface StoredContent {
  objectKey: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** The item of a new function or asset version of `parent`, whose content is stored as `content`. */
export function newVersion(
  kind: VersionKind,
  parent: FunctionItem,
  sid: string,
  request: Pick<UploadVersionRequest, 'Path' | 'Visibility'>,
  content: StoredContent,
  now: Date,
): FunctionVersionItem | AssetVersionItem {
  const common = {
    sid,
    account_sid: parent.account_sid,
    service_sid: parent.service_sid,
    path: request.Path,
    visibility: request.Visibility,
    date_created: now.toISOString(),
    object_key: content.objectKey,
    content_type: content.contentType,
    size: content.size,
    sha256: content.sha256,
  };
  return kind === 'function' ? { ...common, function_sid: parent.sid } : { ...common, asset_sid: parent.sid };
}
