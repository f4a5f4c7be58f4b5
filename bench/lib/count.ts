import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts the requests a DynamoDB client really sends, with two middlewares on its own stack: one at `initialize` (once per
 * command), one at `deserialize` (once per HTTP attempt, inside the retry loop). A DocumentClient `from` it runs the same stack.
 */
export function countDynamoDbRequests(client: DynamoDBClient) {
  // Commands by name, HTTP attempts (retries included), keys asked for in BatchGetItems.
  const counter = {
    commands: new Map<string, number>(),
    attempts: 0,
    batchGetKeys: 0,
    enabled: true,
    reset() {
      counter.commands.clear();
      counter.attempts = 0;
      counter.batchGetKeys = 0;
    },
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
