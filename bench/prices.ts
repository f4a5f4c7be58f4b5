/**
 * AWS list prices, us-east-1, used by the cost model (bench/cost.ts). Assumed current on
 * PRICES_AS_OF: the figures are the published ones after the DynamoDB on-demand price cut of
 * 2024-11-01; re-check https://aws.amazon.com/<service>/pricing/ before relying on the result.
 * Free tiers are ignored (a million builds a month is beyond them anyway).
 */
export const PRICES_AS_OF = '2026-11-27 (published list prices as of the 2024-11-01 DynamoDB on-demand cut; not re-verified since)';
export const REGION = 'us-east-1';

export const PRICES = {
  /** API Gateway HTTP API, per request (first 300 million a month; requests up to 512 KB each). */
  httpApiPerRequest: 1.0 / 1e6,
  /** Lambda, per request. */
  lambdaPerRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second (first 7.5 billion GB-s a month), billed per 1 ms. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand (Standard table class), per write request unit (1 KB). */
  dynamoDbPerWriteRequestUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB strongly consistent, 2 × 4 KB eventually consistent). */
  dynamoDbPerReadRequestUnit: 0.125 / 1e6,
  /** Step Functions Standard, per state transition (retries are extra transitions). */
  stepFunctionsStandardPerTransition: 0.025 / 1000,
  /** Step Functions Express, per request (execution started). */
  stepFunctionsExpressPerRequest: 1.0 / 1e6,
  /** Step Functions Express, per GB-second (first 1,000 GB-hours), 64 MB chunks, 100 ms increments. */
  stepFunctionsExpressPerGbSecond: 0.00001667,
  stepFunctionsExpressMinimumMb: 64,
  /** EventBridge Pipes, per request entering the pipe after filtering (each 64 KB of payload is a request). */
  eventBridgePipesPerRequest: 0.4 / 1e6,
  /** DynamoDB Streams, per streams read request unit (one GetRecords call), beyond the free tier. */
  dynamoDbStreamsPerReadRequestUnit: 0.02 / 1e5,
  stepFunctionsExpressBillingIncrementMs: 100,
  /** EventBridge, per custom event put on a bus (each 64 KB chunk is one event); delivery to same-account targets is not charged. */
  eventBridgeCustomEventPer64Kb: 1.0 / 1e6,
  /** CloudWatch Logs, per GB ingested (Standard log class; what a rule's delivery to a log group is billed). */
  cloudWatchLogsIngestionPerGb: 0.5,
} as const;
