import { DEFAULT_FUNCTIONS_DOMAIN, DEFAULT_MAX_CONTENT_BYTES } from './domain/limits';

/** Runtime configuration of the handlers, read once per cold start from the environment. */
export interface Config {
  tableName: string;
  /** Public base URL the API is served on; when unset, derived from each request. */
  publicBaseUrl: string | undefined;
  stateMachineArn: string;
  /** Seconds after which a build expires (DynamoDB TTL): Twilio deletes undeployed builds after 24 h. */
  buildTtlSeconds: number;
  corsAllowedOrigins: string[];
  maxBodyBytes: number;
  /** Builds an account may create per clock hour; 0 turns the limit off. Twilio documents 100. */
  rateLimitBuildsPerHour: number;
  /** The S3 bucket of version content. */
  contentBucket: string;
  /** An S3-compatible endpoint (the local S3 server); unset on AWS. */
  s3Endpoint: string | undefined;
  /**
   * The largest version content accepted. A Lambda invocation carries at most 6 MB and a binary
   * body arrives base64-encoded (4/3 larger), so about 4.5 MB of content is what really arrives.
   */
  maxContentBytes: number;
  /** The domain environments' domain names end in (Twilio's is twil.io). */
  functionsDomain: string;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new Error(`${name} must be an integer of at least ${minimum}, got "${raw}"`);
  }
  return value;
}

/** Reads the handler configuration from environment variables (see README, "Environment variables"). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: env.TABLE_NAME ?? 'twilio-serverless-builds',
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : undefined,
    stateMachineArn: env.STATE_MACHINE_ARN ?? '',
    buildTtlSeconds: integer(env, 'BUILD_TTL_HOURS', 24) * 3600,
    corsAllowedOrigins: (env.CORS_ALLOWED_ORIGINS ?? '*')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    maxBodyBytes: integer(env, 'MAX_BODY_BYTES', 256 * 1024),
    rateLimitBuildsPerHour: integer(env, 'RATE_LIMIT_BUILDS_PER_HOUR', 0, 0),
    contentBucket: env.CONTENT_BUCKET || 'twilio-serverless-content',
    s3Endpoint: env.S3_ENDPOINT || undefined,
    maxContentBytes: integer(env, 'MAX_CONTENT_BYTES', DEFAULT_MAX_CONTENT_BYTES),
    functionsDomain: env.FUNCTIONS_DOMAIN || DEFAULT_FUNCTIONS_DOMAIN,
  };
}

export const config: Config = readConfig();
