/**
 * Phase 9: what an API key costs against an auth token. The Status handler invoked in this process
 * with the same request, authenticated one way and the other, interleaved (the order alternating):
 * DynamoDB requests counted on the handler's own client, and the handler's time. The key is made
 * by the accounts CLI's own command module.
 */
import { AccountTable } from '../../lambda/store/accounts';
import { Table } from '../../lambda/store/table';
import type { LocalStack } from '../../local/stack';
import { runAccountsCommand } from '../../scripts/lib/accounts';
import { apiEvent, createInProcess, inProcessHandlers, invoke } from '../lib/events';
import { measureOnStack } from '../lib/ipc';
import { ACCOUNT, BUILDS_PATH } from '../lib/seed';
import { percentile, round } from '../lib/stats';

const ITERATIONS = Number(process.env.BENCH_API_KEY_ITERATIONS ?? 500);
const WARMUP = Number(process.env.BENCH_API_KEY_WARMUP ?? 100);

/** Phase 9's figures, as bench/api-key-auth.json holds them. */
export type ApiKeyAuthFigures = Awaited<ReturnType<typeof measure>>;

async function measure(stack: LocalStack) {
  const accounts = new AccountTable(new Table(stack.documentClient, stack.tableName));
  const created = await runAccountsCommand(accounts, { command: 'create-key', sid: ACCOUNT.sid, json: true });
  const key = created.json as { sid: string; secret: string };
  const { createHandler, statusHandler, counter } = await inProcessHandlers();
  const statusPath = `${BUILDS_PATH}/${(await createInProcess(createHandler)).sid}/Status`;
  const side = (name: string, authorization?: string) => ({ name, authorization, ms: [] as number[], attempts: 0, commands: new Map<string, number>() });
  const token = side('token');
  const apiKey = side('apiKey', `Basic ${Buffer.from(`${key.sid}:${key.secret}`).toString('base64')}`);
  const once = async (each: typeof token, measured: boolean) => {
    const event = apiEvent('GET', statusPath);
    if (each.authorization) event.headers.authorization = each.authorization;
    counter.reset();
    counter.enabled = measured;
    const { ms, response } = await invoke(statusHandler, 'fetch-build-status', event);
    counter.enabled = false;
    if (response.statusCode !== 200) throw new Error(`${each.name}: status answered ${response.statusCode}: ${response.body}`);
    if (!measured) return;
    each.ms.push(ms);
    each.attempts += counter.attempts;
    for (const [name, n] of counter.commands) each.commands.set(name, (each.commands.get(name) ?? 0) + n);
  };
  for (let i = 0; i < WARMUP; i++) for (const each of [token, apiKey]) await once(each, false);
  for (let i = 0; i < ITERATIONS; i++) for (const each of i % 2 === 0 ? [token, apiKey] : [apiKey, token]) await once(each, true);
  const roundTrips = (each: typeof token) => each.attempts / ITERATIONS;
  const ratio = (p: number) => round(percentile(apiKey.ms, p) / percentile(token.ms, p), 3);
  return {
    route: 'FetchBuildStatus',
    iterations: ITERATIONS,
    token_dynamodb_round_trips_per_request: round(roundTrips(token), 3),
    api_key_dynamodb_round_trips_per_request: round(roundTrips(apiKey), 3),
    api_key_extra_dynamodb_round_trips: round(roundTrips(apiKey) - roundTrips(token), 3),
    api_key_commands_per_request: Object.fromEntries([...apiKey.commands].map(([name, n]) => [name, n / ITERATIONS])),
    api_key_handler_ratio_p50: ratio(50),
    api_key_handler_ratio_p99: ratio(99),
    token_handler_p50_ms: round(percentile(token.ms, 50), 3),
    api_key_handler_p50_ms: round(percentile(apiKey.ms, 50), 3),
  };
}

// The build stays `building`: no workflow write runs during the measurement.
measureOnStack('api-key', 3600, measure);
