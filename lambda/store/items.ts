import type { Runtime } from '../builds/runtime';

/** The stored item shapes (snake_case, mirroring Twilio's resources). */
export interface AccountItem {
  sid: string;
  auth_token_salt: string;
  auth_token_hash: string;
}

export interface ServiceItem {
  sid: string;
  account_sid: string;
  unique_name: string;
  friendly_name: string;
  /** Set by the workflow when a build completes: the default runtime of the next build. */
  last_completed_build_sid?: string;
  last_completed_runtime?: string;
}

export interface FunctionVersionItem {
  sid: string;
  account_sid: string;
  service_sid: string;
  function_sid: string;
  path: string;
  visibility: string;
  date_created: string;
}

export interface AssetVersionItem {
  sid: string;
  account_sid: string;
  service_sid: string;
  asset_sid: string;
  path: string;
  visibility: string;
  date_created: string;
}

export type BuildStatus = 'building' | 'completed' | 'failed';

export interface Dependency {
  name: string;
  version: string;
}

export interface BuildItem {
  sid: string;
  account_sid: string;
  service_sid: string;
  status: BuildStatus;
  runtime: Runtime;
  dependencies: Dependency[];
  function_versions: FunctionVersionItem[];
  asset_versions: AssetVersionItem[];
  date_created: string;
  date_updated: string;
  expires_at: number;
  error_code?: number;
  error_message?: string;
}

/** Remembers which build an Idempotency-Key created, and for which request. */
export interface IdempotencyItem {
  build_sid: string;
  service_sid: string;
  request_hash: string;
  expires_at: number;
}

/** An account's builds of one clock hour, counted by the workflow. */
export interface RateWindowItem {
  build_count: number;
  expires_at: number;
}
