import type {
  Account,
  ApiKey,
  AssetVersion,
  Build,
  Deployable,
  DeployableKind,
  Deployment,
  Environment,
  FunctionVersion,
  IdempotencyRecord,
  Service,
  Variable,
  Version,
} from '../domain/model';

/**
 * What the use cases need of the outside world, as they name it. lambda/store/ implements each
 * port over DynamoDB (one module per aggregate) and S3; tests may hand in stand-ins.
 */

/** What one request reads at once: the caller's account plus whatever the route names. */
export interface ContextQuery {
  accountSid: string;
  serviceSid?: string;
  /**
   * Read the service's children by `serviceSid` without the service itself: for a route whose
   * child names its account (a build), so that ownership is checked on the child.
   */
  withoutService?: boolean;
  buildSid?: string;
  environmentSid?: string;
  /** A variable or deployment of `environmentSid`. */
  variableSid?: string;
  deploymentSid?: string;
  functionSid?: string;
  assetSid?: string;
  functionVersionSids?: readonly string[];
  assetVersionSids?: readonly string[];
  /** SHA-256 of the request's Idempotency-Key, when it has one. */
  idempotencyKeyHash?: string;
  /** The clock hour whose build count to read, for the builds-per-hour limit. */
  countHour?: number;
}

/** What `ContextQuery` found: each absent when it does not exist. */
export interface RequestContext {
  account?: Account;
  service?: Service;
  build?: Build;
  environment?: Environment;
  variable?: Variable;
  deployment?: Deployment;
  function?: Deployable;
  asset?: Deployable;
  functionVersions: Map<string, FunctionVersion>;
  assetVersions: Map<string, AssetVersion>;
  idempotency?: IdempotencyRecord;
  /** Builds the account created in `countHour` (0 when none). */
  buildsThisHour: number;
}

/** Bind this Idempotency-Key to the build being written; refused if a live record of the key exists. */
export interface IdempotencyGuard {
  keyHash: string;
  requestHash: string;
  expiresAt: number;
  now: Date;
  /** The build a live record of this key names, when that build is dead (`isDeadBuild`): the key is rebound. */
  replacing?: string;
}

export interface BuildStore {
  /**
   * Writes a new build. With a guard, the build and the key's record land together or not at
   * all: `idempotency-key-taken` when a live record of the key exists (nothing written).
   */
  insert(build: Build, idempotency?: IdempotencyGuard): Promise<'inserted' | 'idempotency-key-taken'>;
  /** One build, read consistently. */
  get(serviceSid: string, buildSid: string): Promise<Build | undefined>;
  /** The live record of a key, read consistently; undefined when none or expired. */
  getIdempotency(accountSid: string, keyHash: string, now: Date): Promise<IdempotencyRecord | undefined>;
  /** Deletes a build of the account unless an environment points to it. */
  delete(accountSid: string, serviceSid: string, buildSid: string): Promise<'deleted' | 'missing' | 'deployed'>;
}

/** The fields of a service an update may change. */
export type ServiceChanges = Partial<Pick<Service, 'friendly_name' | 'include_credentials' | 'ui_editable'>> & { date_updated: string };

export interface ServiceStore {
  /** Writes a new service and reserves its unique name in the account: `name-taken` when another has it. */
  insert(service: Service): Promise<'inserted' | 'name-taken'>;
  /** The service as changed; undefined when the account has no such service. */
  update(service: Service, changes: ServiceChanges): Promise<Service | undefined>;
  /** Deletes a service and everything under it in the table; false when the account has no such service. */
  delete(service: Service): Promise<boolean>;
}

export interface DeployableStore {
  insert(kind: DeployableKind, deployable: Deployable): Promise<void>;
  /** The deployable renamed; undefined when the account has no such deployable. */
  rename(kind: DeployableKind, deployable: Deployable, friendlyName: string, now: Date): Promise<Deployable | undefined>;
  /** Deletes a deployable and its versions: the versions' content object keys, or undefined when the account has no such deployable. */
  delete(kind: DeployableKind, deployable: Deployable): Promise<string[] | undefined>;
  /** Writes a new version unless its deployable is gone: then `parent-missing` and nothing written. */
  insertVersion(version: Version): Promise<'inserted' | 'parent-missing'>;
}

export interface EnvironmentStore {
  /** Writes a new environment, reserving its unique name and domain suffix in the service. */
  insert(environment: Environment): Promise<'inserted' | 'name-taken' | 'suffix-taken'>;
  /**
   * Deletes an environment as read (`changed` when a deployment moved it meanwhile), its
   * variables and deployments; its build expires at `buildExpiresAt` unless deployed elsewhere.
   */
  delete(environment: Environment, buildExpiresAt: number): Promise<'deleted' | 'missing' | 'changed'>;
  insertVariable(variable: Variable): Promise<'inserted' | 'key-taken'>;
  updateVariable(current: Variable, next: Variable): Promise<'updated' | 'key-taken' | 'missing'>;
  /** False when the account has no such variable. */
  deleteVariable(variable: Variable): Promise<boolean>;
  /**
   * Points the environment at the deployment's build, atomically: `conflict` when another
   * deployment changed the environment meanwhile, `not-completed` when the build is no longer
   * completed. The build it replaces expires at `previousExpiresAt` unless deployed elsewhere.
   */
  deploy(environment: Environment, deployment: Deployment, previousExpiresAt: number): Promise<'deployed' | 'conflict' | 'not-completed'>;
}

/** Where API keys are read by SID, strongly consistent, so that a revoked key fails at once. */
export interface ApiKeyReader {
  getApiKey(apiKeySid: string): Promise<ApiKey | undefined>;
}

export interface AccountStore {
  insert(account: Account): Promise<void>;
  get(accountSid: string): Promise<Account | undefined>;
  list(): Promise<Account[]>;
  /** False when there is no such account. */
  setAuthTokenHash(accountSid: string, hash: Pick<Account, 'auth_token_salt' | 'auth_token_hash'>, now: Date): Promise<boolean>;
  insertApiKey(key: ApiKey): Promise<'inserted' | 'account-missing'>;
  listApiKeys(accountSid: string): Promise<ApiKey[]>;
  /** The deleted key, or undefined when there was none. */
  deleteApiKey(apiKeySid: string): Promise<ApiKey | undefined>;
}

/** Version content, stored as uploaded. */
export interface ContentStore {
  /**
   * Stores a new version's content, marked unreferenced until `markReferenced` (objects no
   * version came to point to expire); the object key it is stored under.
   */
  put(serviceSid: string, versionSid: string, content: { bytes: Uint8Array; contentType: string; sha256Base64: string }): Promise<string>;
  markReferenced(objectKey: string): Promise<void>;
  get(objectKey: string): Promise<Uint8Array>;
  /** Deletes these objects (missing ones are no error). */
  deleteMany(objectKeys: readonly string[]): Promise<void>;
  /** Deletes every object of a service. */
  deleteService(serviceSid: string): Promise<void>;
}
