/**
 * The business metrics, in one place: the handlers emit them (lambda/http/metrics.ts, CloudWatch
 * embedded metric format) and the stack's dashboard and alarms read them (lib/operations.ts).
 * Plain constants, so that the CDK app imports them without loading Powertools.
 */

/** The CloudWatch namespace of every business metric. */
export const METRICS_NAMESPACE = 'TwilioServerless';

/**
 * The one dimension of every business metric: Powertools' `service` (POWERTOOLS_SERVICE_NAME).
 * Accounts are a property of each record, never a dimension: a dimension per account would be a
 * custom metric (and a bill) per account.
 */
export const SERVICE_DIMENSION = 'service';

/** The EMF property that carries the caller's account SID. */
export const ACCOUNT_PROPERTY = 'accountSid';

/** Each business metric and its CloudWatch unit. */
export const BUSINESS_METRICS = {
  /** A build written (its workflow will run): one per 201 that is not a replay. */
  BuildsCreated: 'Count',
  /** A Create Build answered with the build an Idempotency-Key is already bound to. */
  IdempotentReplays: 'Count',
  /** A Create Build refused with 429: the account's builds for this hour are used up. */
  RateLimitedCreates: 'Count',
  /** A function or asset version uploaded. */
  Uploads: 'Count',
  /** The content bytes of each upload. */
  UploadBytes: 'Bytes',
  /** A deployment created (a build deployed to an environment). */
  Deployments: 'Count',
} as const;

export type BusinessMetric = keyof typeof BUSINESS_METRICS;
