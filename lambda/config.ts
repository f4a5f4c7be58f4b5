import { DEFAULT_FUNCTIONS_DOMAIN, DEFAULT_MAX_CONTENT_BYTES } from './domain/limits';

/** Runtime configuration of the handlers, read once per cold start from the environment. */
export interface Config {
  tableName: string;
  /** Public base URL the API is served on; when unset, derived from each request. */
  publicBaseUrl: string | undefined;
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

/** A configuration variable missing or malformed: the function fails at init with one message naming every such variable. */
export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

type Problems = string[];

function integer(env: NodeJS.ProcessEnv, problems: Problems, name: string, fallback: number, minimum = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\s*\d+\s*$/.test(raw) || !Number.isSafeInteger(value) || value < minimum) {
    problems.push(`${name} must be an integer of at least ${minimum}, got "${raw}"`);
    return fallback;
  }
  return value;
}

/** A variable that must match `pattern` when set (`what` says what it must be). */
function matching(env: NodeJS.ProcessEnv, problems: Problems, name: string, pattern: RegExp, what: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!pattern.test(raw)) problems.push(`${name} must be ${what}, got "${raw}"`);
  return raw;
}

const HTTP_URL = /^https?:\/\/[^/\s?#]+(\/\S*)?$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
const ORIGIN = /^(\*|https?:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?)$/i;

/**
 * Reads the handler configuration from environment variables (see docs/local-stack.md,
 * "Environment variables"). Every variable is checked: malformed ones throw one ConfigurationError naming each, so that the function fails at init, logged once by
 * the runtime, instead of answering with a wrong setting.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: Problems = [];
  const tableName = matching(env, problems, 'TABLE_NAME', /^[A-Za-z0-9_.-]{3,255}$/, 'a DynamoDB table name (3-255 letters, digits, _ . -)');
  const publicBaseUrl = matching(env, problems, 'PUBLIC_BASE_URL', HTTP_URL, 'an http(s) URL');
  const origins = (env.CORS_ALLOWED_ORIGINS ?? '*')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length === 0) problems.push('CORS_ALLOWED_ORIGINS must be "*" or name at least one origin');
  for (const origin of origins) if (!ORIGIN.test(origin)) problems.push(`CORS_ALLOWED_ORIGINS must be "*" or http(s) origins, got "${origin}"`);
  matching(env, problems, 'DYNAMODB_ENDPOINT', HTTP_URL, 'an http(s) URL');
  const s3Endpoint = matching(env, problems, 'S3_ENDPOINT', HTTP_URL, 'an http(s) URL');
  const contentBucket = matching(env, problems, 'CONTENT_BUCKET', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
  const functionsDomain = matching(env, problems, 'FUNCTIONS_DOMAIN', DOMAIN, 'a domain name');
  const config: Config = {
    tableName: tableName ?? 'twilio-serverless-builds',
    publicBaseUrl: publicBaseUrl ? publicBaseUrl.replace(/\/+$/, '') : undefined,
    buildTtlSeconds: integer(env, problems, 'BUILD_TTL_HOURS', 24) * 3600,
    corsAllowedOrigins: origins,
    maxBodyBytes: integer(env, problems, 'MAX_BODY_BYTES', 256 * 1024),
    rateLimitBuildsPerHour: integer(env, problems, 'RATE_LIMIT_BUILDS_PER_HOUR', 0, 0),
    contentBucket: contentBucket || 'twilio-serverless-content',
    s3Endpoint: s3Endpoint || undefined,
    maxContentBytes: integer(env, problems, 'MAX_CONTENT_BYTES', DEFAULT_MAX_CONTENT_BYTES),
    functionsDomain: functionsDomain || DEFAULT_FUNCTIONS_DOMAIN,
  };
  if (problems.length > 0) throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  return config;
}

/**
 * Called at init by the modules that need a variable (the table store needs TABLE_NAME): on
 * Lambda it must be set; locally the default applies.
 */
export function requireOnLambda(name: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.AWS_LAMBDA_FUNCTION_NAME && !env.DYNAMODB_ENDPOINT && !env[name]) {
    throw new ConfigurationError(`Invalid configuration: ${name} is required and not set`);
  }
}

export const config: Config = readConfig();
