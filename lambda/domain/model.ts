import type { BuildFailureReason } from './artifact';
import type { Runtime } from './runtime';

/**
 * The API's resources as the domain sees them (snake_case, mirroring Twilio's wire shapes). The
 * store keeps each as one item and adds only its keys; nothing here knows about DynamoDB.
 */

/** An account: its auth token is kept only as a salted hash. */
export interface Account {
  sid: string;
  auth_token_salt: string;
  auth_token_hash: string;
  /** Set by the accounts CLI; absent on seeded accounts. */
  friendly_name?: string;
  date_created?: string;
  date_updated?: string;
}

/** An API key of an account: its secret is kept only as a salted hash, as auth tokens are. */
export interface ApiKey {
  sid: string;
  account_sid: string;
  friendly_name: string;
  secret_salt: string;
  secret_hash: string;
  date_created: string;
}

export interface Service {
  sid: string;
  account_sid: string;
  unique_name: string;
  friendly_name: string;
  include_credentials: boolean;
  ui_editable: boolean;
  /** The unique name and a random suffix, fixed at creation: the base of the service's domains. */
  domain_base: string;
  date_created: string;
  date_updated: string;
  /** Set by the workflow when a build completes: the default runtime of the next build. */
  last_completed_build_sid?: string;
  last_completed_runtime?: string;
}

/** What a deployable is: a function (code) or an asset (a file). Both share Twilio's `ZH` SIDs and one shape. */
export type DeployableKind = 'function' | 'asset';

/** A function or an asset of a service: the same shape, told apart by its kind. */
export interface Deployable {
  sid: string;
  account_sid: string;
  service_sid: string;
  friendly_name: string;
  date_created: string;
  date_updated: string;
}

/** Where a version's content is and what it is; absent on seeded versions, whose content is empty. */
export interface VersionContent {
  /** The S3 object key: built from SIDs this API issued, never from anything a caller chose. */
  object_key?: string;
  content_type?: string;
  size?: number;
  sha256?: string;
}

export interface FunctionVersion extends VersionContent {
  sid: string;
  account_sid: string;
  service_sid: string;
  function_sid: string;
  path: string;
  visibility: string;
  date_created: string;
}

export interface AssetVersion extends VersionContent {
  sid: string;
  account_sid: string;
  service_sid: string;
  asset_sid: string;
  path: string;
  visibility: string;
  date_created: string;
}

/** A version of a deployable: a function version or an asset version. */
export type Version = FunctionVersion | AssetVersion;

export type BuildStatus = 'building' | 'completed' | 'failed';

export interface Dependency {
  name: string;
  version: string;
}

/**
 * A build's record of one version: only what the build's rendering shows, in one-letter names, so
 * that a typical build item stays under 1 KB (one write unit to create it, one to complete it).
 * The account and service SIDs are the build's own.
 */
export interface BuildVersionEntry {
  /** The version's SID. */
  s: string;
  /** The SID of its function or asset (the owner). */
  o: string;
  /** Its path. */
  p: string;
  /** Its visibility, as stored on the version. */
  v: string;
  /** Its date_created. */
  d: string;
}

/** How builds written before 2026-12-02 record a version: a copy of the version's rendered fields. */
export interface LegacyBuildVersion {
  sid: string;
  function_sid?: string;
  asset_sid?: string;
  path: string;
  visibility: string;
  date_created: string;
}

export type StoredBuildVersion = BuildVersionEntry | LegacyBuildVersion;

export interface Build {
  sid: string;
  account_sid: string;
  service_sid: string;
  status: BuildStatus;
  runtime: Runtime;
  dependencies: Dependency[];
  function_versions: StoredBuildVersion[];
  asset_versions: StoredBuildVersion[];
  date_created: string;
  date_updated: string;
  expires_at: number;
  /** The clock hour the build counts in (builds-per-hour), and when that count may expire: the workflow's input, read from the stream. */
  count_hour: number;
  count_expires_at: number;
  error_code?: number;
  error_message?: string;
  /** What the builder reported (lambda/domain/artifact.ts): the workflow reads it and flips `status`. */
  builder_outcome?: 'completed' | 'failed';
  /** The artifact a completed build made (the folder or S3 prefix of that key). */
  artifact_key?: string;
  failure_reason?: BuildFailureReason;
  /** The environments whose current build this is: while any, the build never expires (no `expires_at`). */
  deployed_to?: Set<string>;
}

export interface Environment {
  sid: string;
  account_sid: string;
  service_sid: string;
  /** Absent until the first deployment. */
  build_sid?: string;
  unique_name: string;
  /** Absent when the environment has none (Twilio renders null: the production environment). */
  domain_suffix?: string;
  domain_name: string;
  date_created: string;
  date_updated: string;
}

export interface Variable {
  sid: string;
  account_sid: string;
  service_sid: string;
  environment_sid: string;
  key: string;
  /** A secret of its owner: never logged. */
  value: string;
  date_created: string;
  date_updated: string;
}

export interface Deployment {
  sid: string;
  account_sid: string;
  service_sid: string;
  environment_sid: string;
  build_sid: string;
  is_plugin: boolean;
  date_created: string;
  date_updated: string;
}

/** Remembers which build an Idempotency-Key created, and for which request. */
export interface IdempotencyRecord {
  build_sid: string;
  service_sid: string;
  request_hash: string;
  expires_at: number;
}
