import type { Construct } from 'constructs';
import { DEFAULT_FUNCTIONS_DOMAIN, DEFAULT_MAX_CONTENT_BYTES } from '../lambda/domain/limits';

/** Settings of one deployment of the Builds API, read from CDK context (`cdk synth -c name=value`). */
export interface BuildsStackSettings {
  /** Deployment stage: part of the stack and API names, and a tag. Not an API Gateway stage (URLs have no stage prefix). */
  stage: string;
  /** Seconds a build stays `building` before the workflow completes it. */
  buildWaitSeconds: number;
  /** Comma-separated origins the handlers answer CORS for (`*` for any). */
  corsAllowedOrigins: string;
  /** Public base URL of the API (e.g. a custom domain); unset: derived from each request. */
  publicBaseUrl: string | undefined;
  /** `retain` keeps the table (with deletion protection) and logs when the stack is deleted; `destroy` removes them. */
  removalPolicy: 'retain' | 'destroy';
  /** Hours after which a build expires (DynamoDB TTL). */
  buildTtlHours: number;
  /** Builds an account may create per clock hour (Twilio documents 100); 0 turns the limit off. */
  rateLimitBuildsPerHour: number;
  /** The largest version content an upload takes (bytes): at most what a Lambda invocation carries. */
  maxContentBytes: number;
  /** The domain environments' domain names end in (Twilio's is twil.io): the domain that serves your functions. */
  functionsDomain: string;
  /** API Gateway default-stage throttling: steady requests per second, and burst. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** An e-mail address subscribed to the alarm topic (lib/operations.ts); unset: no subscription. */
  alarmEmail: string | undefined;
}

export const DEFAULT_SETTINGS: BuildsStackSettings = {
  stage: 'prod',
  buildWaitSeconds: 10,
  corsAllowedOrigins: '*',
  publicBaseUrl: undefined,
  removalPolicy: 'retain',
  buildTtlHours: 24,
  rateLimitBuildsPerHour: 100,
  maxContentBytes: DEFAULT_MAX_CONTENT_BYTES,
  functionsDomain: DEFAULT_FUNCTIONS_DOMAIN,
  // A guard against runaway clients, not a capacity plan: @twilio-labs/serverless-api polls a
  // build's status once a second, so 50 requests/s serves dozens of concurrent deployments.
  throttleRateLimit: 50,
  throttleBurstLimit: 100,
  alarmEmail: undefined,
};

/**
 * An Express execution lasts at most 5 minutes (the definition's TimeoutSeconds): the wait plus
 * the worst case of two tasks' retries (8 retries of at most 8 s each) must fit in it.
 */
export const MAX_BUILD_WAIT_SECONDS = 120;

/** Context values arrive as strings from `-c` and as JSON values from cdk.json. */
function integerSetting(name: string, raw: unknown, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`Context "${name}" must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function stringSetting(name: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new Error(`Context "${name}" must be a string, got ${JSON.stringify(raw)}`);
  return raw.trim();
}

/** Reads and checks the stack settings from CDK context; a bad value fails the synth with its name. */
export function settingsFromContext(scope: Construct): BuildsStackSettings {
  const context = (name: string): unknown => scope.node.tryGetContext(name);

  const stage = stringSetting('stage', context('stage')) ?? DEFAULT_SETTINGS.stage;
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new Error(`Context "stage" must be lowercase letters, digits and dashes (at most 20), starting with a letter, got "${stage}"`);
  }

  const removalPolicy = stringSetting('removalPolicy', context('removalPolicy')) ?? DEFAULT_SETTINGS.removalPolicy;
  if (removalPolicy !== 'retain' && removalPolicy !== 'destroy') {
    throw new Error(`Context "removalPolicy" must be "retain" or "destroy", got "${removalPolicy}"`);
  }

  const publicBaseUrl = stringSetting('publicBaseUrl', context('publicBaseUrl'));
  if (publicBaseUrl !== undefined && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(publicBaseUrl)) {
    throw new Error(`Context "publicBaseUrl" must be an http(s) URL, got "${publicBaseUrl}"`);
  }

  const corsAllowedOrigins = stringSetting('corsAllowedOrigins', context('corsAllowedOrigins')) ?? DEFAULT_SETTINGS.corsAllowedOrigins;
  if (corsAllowedOrigins.split(',').every((origin) => origin.trim() === '')) {
    throw new Error('Context "corsAllowedOrigins" must name at least one origin, or "*"');
  }

  const functionsDomain = stringSetting('functionsDomain', context('functionsDomain'))?.toLowerCase() ?? DEFAULT_SETTINGS.functionsDomain;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(functionsDomain) || functionsDomain.length > 200) {
    throw new Error(`Context "functionsDomain" must be a domain name (e.g. functions.example.com), got "${functionsDomain}"`);
  }

  const alarmEmail = stringSetting('alarmEmail', context('alarmEmail'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new Error(`Context "alarmEmail" must be an e-mail address, got "${alarmEmail}"`);
  }

  const throttleRateLimit = integerSetting('throttleRateLimit', context('throttleRateLimit'), DEFAULT_SETTINGS.throttleRateLimit, 1, 10_000);
  const throttleBurstLimit = integerSetting('throttleBurstLimit', context('throttleBurstLimit'), DEFAULT_SETTINGS.throttleBurstLimit, 1, 5_000);

  return {
    stage,
    buildWaitSeconds: integerSetting('buildWaitSeconds', context('buildWaitSeconds'), DEFAULT_SETTINGS.buildWaitSeconds, 0, MAX_BUILD_WAIT_SECONDS),
    corsAllowedOrigins,
    publicBaseUrl: publicBaseUrl?.replace(/\/+$/, ''),
    removalPolicy,
    buildTtlHours: integerSetting('buildTtlHours', context('buildTtlHours'), DEFAULT_SETTINGS.buildTtlHours, 1, 24 * 365),
    rateLimitBuildsPerHour: integerSetting('rateLimitBuildsPerHour', context('rateLimitBuildsPerHour'), DEFAULT_SETTINGS.rateLimitBuildsPerHour, 0, 1_000_000),
    functionsDomain,
    maxContentBytes: integerSetting('maxContentBytes', context('maxContentBytes'), DEFAULT_SETTINGS.maxContentBytes, 1, DEFAULT_MAX_CONTENT_BYTES),
    throttleRateLimit,
    throttleBurstLimit,
    alarmEmail,
  };
}
