import { randomInt } from 'node:crypto';
import { InvalidInput } from './errors';
import type { AssetVersion, Build, Deployable, Deployment, Environment, FunctionVersion, Service, Variable } from './model';
import type { CreateDeploymentRequest, CreateEnvironmentRequest, CreateServiceRequest, CreateVariableRequest, UploadVersionRequest } from './schema';
import { newSid } from './sid';

/**
 * A service's domain base: its unique name (lowercase, as in a domain name) and a random
 * four-digit suffix, fixed at creation, as Twilio builds it (`my-service-1234`).
 */
export const newDomainBase = (uniqueName: string): string => `${uniqueName.toLowerCase()}-${randomInt(1000, 10000)}`;

/** The item of a new service. */
export function newService(accountSid: string, request: CreateServiceRequest, now: Date): Service {
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
export function newDeployable(service: Pick<Service, 'sid' | 'account_sid'>, friendlyName: string, now: Date): Deployable {
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

export type DeployableKind = 'function' | 'asset';

/** What is known of uploaded content once it is stored. */
export interface StoredContent {
  objectKey: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** The item of a new function or asset version of `parent`, whose content is stored as `content`. */
export function newVersion(
  kind: DeployableKind,
  parent: Deployable,
  sid: string,
  request: Pick<UploadVersionRequest, 'Path' | 'Visibility'>,
  content: StoredContent,
  now: Date,
): FunctionVersion | AssetVersion {
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

/**
 * An environment's domain name: the service's domain base, the suffix when there is one, and the
 * functions domain (`my-app-1234-dev.example.com`), as Twilio builds it with `twil.io`.
 */
export const environmentDomainName = (domainBase: string, suffix: string | undefined, functionsDomain: string): string =>
  `${domainBase}${suffix ? `-${suffix.toLowerCase()}` : ''}.${functionsDomain}`;

/** The item of a new environment of a service; no build until the first deployment. */
export function newEnvironment(service: Service, request: CreateEnvironmentRequest, functionsDomain: string, now: Date): Environment {
  const created = now.toISOString();
  return {
    sid: newSid('ZE', now),
    account_sid: service.account_sid,
    service_sid: service.sid,
    unique_name: request.UniqueName,
    ...(request.DomainSuffix ? { domain_suffix: request.DomainSuffix } : {}),
    domain_name: environmentDomainName(service.domain_base, request.DomainSuffix, functionsDomain),
    date_created: created,
    date_updated: created,
  };
}

/** The item of a new variable of an environment. */
export function newVariable(environment: Environment, request: CreateVariableRequest, now: Date): Variable {
  const created = now.toISOString();
  return {
    sid: newSid('ZV', now),
    account_sid: environment.account_sid,
    service_sid: environment.service_sid,
    environment_sid: environment.sid,
    key: request.Key,
    value: request.Value,
    date_created: created,
    date_updated: created,
  };
}

/**
 * The item of a new deployment of a build into an environment; InvalidInput naming BuildSid
 * unless the build is a completed build of the environment's service.
 */
export function newDeployment(environment: Environment, build: Build | undefined, request: CreateDeploymentRequest, now: Date): Deployment {
  if (!build || build.account_sid !== environment.account_sid) throw new InvalidInput(`Invalid BuildSid: ${request.BuildSid} is not a build of this service`);
  if (build.status !== 'completed') throw new InvalidInput(`Invalid BuildSid: ${request.BuildSid} is ${build.status}; only a completed build can be deployed`);
  const created = now.toISOString();
  return {
    sid: newSid('ZD', now),
    account_sid: environment.account_sid,
    service_sid: environment.service_sid,
    environment_sid: environment.sid,
    build_sid: build.sid,
    is_plugin: request.IsPlugin,
    date_created: created,
    date_updated: created,
  };
}
