import { subscribe } from 'node:diagnostics_channel';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface RequestCounter {
  /** Commands sent, by name (BatchGetCommand, PutCommand, …). */
  commands: Map<string, number>;
  /** HTTP attempts (retries included): the deserialize step runs once per attempt. */
  attempts: number;
  /** Keys asked for in BatchGetItem commands (the items a request reads). */
  batchGetKeys: number;
  enabled: boolean;
  reset(): void;
  total(): number;
}

/**
 * Counts the requests a DynamoDB client really sends, with two middlewares on its own stack: one
 * at `initialize` (once per command) and one at `deserialize` (once per HTTP attempt, inside the
 * retry loop). A DynamoDBDocumentClient built `from` this client runs the same stack.
 */
export function countDynamoDbRequests(client: DynamoDBClient): RequestCounter {
  const counter: RequestCounter = {
    commands: new Map(),
    attempts: 0,
    batchGetKeys: 0,
    enabled: true,
    reset() {
      counter.commands.clear();
      counter.attempts = 0;
      counter.batchGetKeys = 0;
    },
    total: () => [...counter.commands.values()].reduce((sum, n) => sum + n, 0),
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (counter.enabled) {
        const name = String(context.commandName ?? 'unknown');
        counter.commands.set(name, (counter.commands.get(name) ?? 0) + 1);
        const requestItems = (args.input as { RequestItems?: Record<string, { Keys?: unknown[] }> }).RequestItems;
        if (name.startsWith('BatchGet')) for (const table of Object.values(requestItems ?? {})) counter.batchGetKeys += table.Keys?.length ?? 0;
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCommands', priority: 'high' },
  );
  client.middlewareStack.add(
    (next) => async (args) => {
      if (counter.enabled) counter.attempts++;
      return next(args);
    },
    { step: 'deserialize', name: 'benchCountAttempts' },
  );
  return counter;
}

/**
 * Counts outgoing HTTP requests of this process to one host:port (node:http's diagnostics
 * channel): used for the StartExecution calls, whose client the create handler keeps private.
 */
export function countHttpRequestsTo(endpoint: string): { count: number; enabled: boolean } {
  const { host } = new URL(endpoint);
  const state = { count: 0, enabled: true };
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: { host?: string; getHeader(name: string): unknown } }).request;
    const target = String(request.getHeader('host') ?? '');
    if (state.enabled && target === host) state.count++;
  });
  return state;
}
