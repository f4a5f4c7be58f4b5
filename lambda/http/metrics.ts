import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import { ACCOUNT_PROPERTY, BUSINESS_METRICS, type BusinessMetric, METRICS_NAMESPACE } from '../metric-catalogue';
import { logger, serviceName } from './logger';

/**
 * Powertools' own diagnostics, into our logs. Its one routine warning, "No application metrics
 * to publish", would be logged by every request that counts nothing (every read, every status
 * poll): its warnings are logged at debug, so POWERTOOLS_LOG_LEVEL=DEBUG shows them.
 */
const diagnostics: NonNullable<MetricsOptions['logger']> = {
  debug: (message: string) => logger.debug(message),
  info: (message: string) => logger.debug(message),
  warn: (message: string) => logger.debug(message),
  error: (message: string) => logger.error(message),
};

/**
 * The business metrics of this function, in CloudWatch's embedded metric format: one JSON line
 * on stdout per request that counts something, turned into metrics by CloudWatch Logs (no API
 * call, no latency). Flushed by the `logMetrics` middleware of the one chain (middleware.ts).
 * The only dimension is `service`; POWERTOOLS_METRICS_DISABLED=true turns the lines off.
 */
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName, logger: diagnostics });

function count(name: BusinessMetric, accountSid: string, value = 1): void {
  metrics.addMetadata(ACCOUNT_PROPERTY, accountSid);
  metrics.addMetric(name, BUSINESS_METRICS[name], value);
}

/**
 * What the handlers record, each with the caller's account as a property of the record (not a
 * dimension). The handlers call these at the edge, after the use case: domain code never sees
 * Powertools.
 */
export const businessMetrics = {
  /** A new build was written and its workflow will run. */
  buildCreated: (accountSid: string) => count('BuildsCreated', accountSid),
  /** A Create Build answered with the build its Idempotency-Key is bound to. */
  idempotentReplay: (accountSid: string) => count('IdempotentReplays', accountSid),
  /** A Create Build refused by the hourly limit. */
  rateLimitedCreate: (accountSid: string) => count('RateLimitedCreates', accountSid),
  /** A version uploaded, with its content's size. */
  upload: (accountSid: string, bytes: number) => {
    count('Uploads', accountSid);
    count('UploadBytes', accountSid, bytes);
  },
  /** A deployment created. */
  deployment: (accountSid: string) => count('Deployments', accountSid),
};
