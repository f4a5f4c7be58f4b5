import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack';
import { ACCOUNT, basicAuth, SERVICE, testSeed } from './fixtures';
import { scanBuildItems } from './items';

/**
 * The local stack for one test file: the shared DynamoDB Local of the run, a table of its own,
 * the test seed, a 1 s build wait. Call once per file (handlers read their env on first import).
 */
export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  return startLocalStack({
    dynamoDbEndpoint: inject('dynamoDbEndpoint'),
    tableName: `builds-${randomUUID()}`,
    seed: testSeed,
    buildWaitSeconds: 1,
    ...options,
  });
}

/** Every build item in the stack's table. */
export const buildItems = (stack: LocalStack): Promise<Record<string, unknown>[]> => scanBuildItems(stack.documentClient, stack.tableName);

/** The collection URL of a service's builds on the stack. */
export const buildsUrl = (stack: LocalStack, serviceSid: string = SERVICE): string => `${stack.baseUrl}/v1/Services/${serviceSid}/Builds`;

/** POSTs a form (repeated keys for arrays) as the given account. */
export async function createBuild(
  stack: LocalStack,
  form: Record<string, string | string[]>,
  options: { account?: { sid: string; auth_token: string }; serviceSid?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const item of [value].flat()) body.append(name, item);
  return fetch(buildsUrl(stack, options.serviceSid), {
    method: 'POST',
    headers: { Authorization: basicAuth(options.account ?? ACCOUNT), 'Content-Type': 'application/x-www-form-urlencoded', ...options.headers },
    body,
  });
}

/** GETs (or another method) a URL as the given account. */
export function request(url: string, options: { method?: string; account?: { sid: string; auth_token: string } } = {}): Promise<Response> {
  return fetch(url, { method: options.method ?? 'GET', headers: { Authorization: basicAuth(options.account ?? ACCOUNT) } });
}
