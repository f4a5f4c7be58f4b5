/**
 * AWS list prices, us-east-1, for the cost model (bench/lib/cost.ts); free tiers ignored (a million builds a month is beyond
 * them). Each price names its page and what a check on 2026-12-02 (the project's `search` tool over stored AWS and
 * third-party pages; no live AWS page was opened) could and could not confirm. Re-check the pages before relying on it.
 */
export const PRICES_AS_OF =
  '2026-12-02 (list prices after the 2024-11-01 DynamoDB on-demand cut; Express and the Streams billing rule checked against stored AWS pages, the other figures against third-party pages only or not at all: see bench/prices.ts)';
export const REGION = 'us-east-1';

export const PRICES = {
  /**
   * API Gateway HTTP API, per request (first 300 million a month; requests up to 512 KB each). https://aws.amazon.com/api-gateway/pricing/
   * — the stored page did not show the figure; two third-party guides (2025, 2026) give $1.00/M. Not confirmed from AWS.
   */
  httpApiPerRequest: 1.0 / 1e6,
  /** Lambda, per request. https://aws.amazon.com/lambda/pricing/ — third-party pages give $0.20/M; not confirmed from AWS. */
  lambdaPerRequest: 0.2 / 1e6,
  /** Lambda arm64, per GB-second (first 7.5 billion GB-s a month), billed per 1 ms. Same page; third-party pages agree; not confirmed from AWS. */
  lambdaArmPerGbSecond: 0.0000133334,
  /**
   * DynamoDB on-demand (Standard table class), per write request unit (1 KB). https://aws.amazon.com/dynamodb/pricing/on-demand/
   * — the stored page confirms the units (1 KB per WRU; 4 KB per RRU strongly consistent, half eventually consistent), not the figures.
   */
  dynamoDbPerWriteRequestUnit: 0.625 / 1e6,
  /** DynamoDB on-demand, per read request unit (4 KB strongly consistent, 2 × 4 KB eventually consistent). As above: units confirmed, figure not. */
  dynamoDbPerReadRequestUnit: 0.125 / 1e6,
  /** Step Functions Standard, per state transition (retries are extra transitions). https://aws.amazon.com/step-functions/pricing/ — figure not checked. */
  stepFunctionsStandardPerTransition: 0.025 / 1000,
  /** Step Functions Express, per request (execution started). https://aws.amazon.com/step-functions/pricing/ — confirmed ($1.00/M, the page's example). */
  stepFunctionsExpressPerRequest: 1.0 / 1e6,
  /**
   * Step Functions Express, per GB-second: $0.06 per GB-hour for the first 1,000 GB-hours a month (then $0.03 for the next
   * 4,000, $0.01642 beyond), billed in 64 MB chunks and 100 ms increments. Same page — confirmed (tiers, chunks, increments).
   * A million builds of a 10 s wait at 64 MB are about 174 GB-hours, inside the first tier.
   */
  stepFunctionsExpressPerGbSecond: 0.00001667,
  stepFunctionsExpressMinimumMb: 64,
  /**
   * EventBridge Pipes, per request entering the pipe after filtering (each 64 KB of payload is a request). https://aws.amazon.com/eventbridge/pricing/
   * — the stored page's excerpt did not include Pipes; two third-party guides (2026-03, 2026-06) give $0.40/M. Not confirmed from AWS.
   */
  eventBridgePipesPerRequest: 0.4 / 1e6,
  /**
   * DynamoDB Streams, per streams read request unit (one GetRecords call, up to 1,000 records or 1 MB), beyond the free tier of
   * 2.5 million a month. https://aws.amazon.com/dynamodb/pricing/on-demand/ — the figure was NOT found on any stored page. That
   * Pipes' reads are billed at all IS confirmed: the DynamoDB developer guide (CostOptimization_StreamsUsage) says reads by
   * Lambda-based consumers are free and reads by consumers of any other kind are charged.
   */
  dynamoDbStreamsPerReadRequestUnit: 0.02 / 1e5,
  stepFunctionsExpressBillingIncrementMs: 100,
  /**
   * EventBridge, per custom event put on a bus (each 64 KB chunk of a payload is one event); delivery to targets in the same
   * account is not charged. https://aws.amazon.com/eventbridge/pricing/ — the 64 KB rule confirmed; $1.00/M from third-party guides only.
   */
  eventBridgeCustomEventPer64Kb: 1.0 / 1e6,
  /**
   * CloudWatch Logs, per GB ingested (Standard log class; what a rule's delivery to a log group is billed).
   * https://aws.amazon.com/cloudwatch/pricing/ — $0.50/GB from third-party guides (2026); not confirmed from AWS.
   */
  cloudWatchLogsIngestionPerGb: 0.5,
} as const;
