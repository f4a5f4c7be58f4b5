import type { ApiKeyAuthResult } from '../phases/api-key-auth';
import { startPhase } from './ipc';
import { percentile, round } from './stats';

/** Phase 9's figures, as bench/api-key-auth.json holds them. */
export interface ApiKeyAuthFigures {
  route: string;
  iterations: number;
  token_dynamodb_round_trips_per_request: number;
  api_key_dynamodb_round_trips_per_request: number;
  api_key_extra_dynamodb_round_trips: number;
  api_key_commands_per_request: Record<string, number>;
  api_key_handler_ratio_p50: number;
  api_key_handler_ratio_p99: number;
  token_handler_p50_ms: number;
  api_key_handler_p50_ms: number;
}

/**
 * Runs phase 9 (bench/phases/api-key-auth.ts) against the run's DynamoDB Local and writes its
 * figures to bench/api-key-auth.json: round trips per request with a key and with a token (the
 * key's one consistent GetItem is the difference), and the key/token ratio of handler p50 and p99.
 */
export async function runApiKeyAuthPhase(endpoint: string, handlerEnvironment = process.env.BENCH_HANDLER_ENV ?? '{}'): Promise<ApiKeyAuthFigures> {
  const phase = startPhase('api-key-auth', { BENCH_DYNAMODB_ENDPOINT: endpoint, BENCH_HANDLER_ENV: handlerEnvironment });
  let result: ApiKeyAuthResult;
  try {
    result = await phase.next<ApiKeyAuthResult>('result');
  } finally {
    await phase.stop();
  }
  const { token, apiKey } = result;
  const figures: ApiKeyAuthFigures = {
    route: result.route,
    iterations: result.iterations,
    token_dynamodb_round_trips_per_request: round(token.roundTripsPerRequest, 3),
    api_key_dynamodb_round_trips_per_request: round(apiKey.roundTripsPerRequest, 3),
    api_key_extra_dynamodb_round_trips: round(apiKey.roundTripsPerRequest - token.roundTripsPerRequest, 3),
    api_key_commands_per_request: apiKey.commandsPerRequest,
    api_key_handler_ratio_p50: round(percentile(apiKey.handlerMs, 50) / percentile(token.handlerMs, 50), 3),
    api_key_handler_ratio_p99: round(percentile(apiKey.handlerMs, 99) / percentile(token.handlerMs, 99), 3),
    token_handler_p50_ms: round(percentile(token.handlerMs, 50), 3),
    api_key_handler_p50_ms: round(percentile(apiKey.handlerMs, 50), 3),
  };
  return figures;
}
