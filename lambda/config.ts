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
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Reads the handler configuration from environment variables (see README, "Environment variables"). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    tableName: env.TABLE_NAME ?? 'twilio-serverless-builds',
    publicBaseUrl: env.PUBLIC_BASE_URL ? env.PUBLIC_BASE_URL.replace(/\/+$/, '') : undefined,
    stateMachineArn: env.STATE_MACHINE_ARN ?? '',
    buildTtlSeconds: positiveInteger(env, 'BUILD_TTL_HOURS', 24) * 3600,
    corsAllowedOrigins: (env.CORS_ALLOWED_ORIGINS ?? '*')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', 256 * 1024),
  };
}

export const config: Config = readConfig();
