import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '../../local/stack';
import { FUNCTION_VERSIONS } from '../support/fixtures';
import { buildItems, createBuild, request, startTestStack } from '../support/stack';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('unexpected failures', () => {
  it('answers 201 with the workflow runner down: the create only writes the build, whose workflow the stream starts later', async () => {
    await stack.stepFunctions.stop(); // its HTTP endpoint: the create never calls it
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    expect(response.status).toBe(201);
    const { sid } = await response.json();
    await (await stack.stepFunctions.whenStarted(sid)).done;
    expect((await buildItems(stack)).find((item) => item.sid === sid)).toMatchObject({ status: 'completed' });
  });

  it('logs a failed create once, with its cause, which the body never carries', async () => {
    const { logger } = await import('../../lambda/http/middleware');
    const { documentClient } = await import('../../lambda/store/client');
    const log = vi.spyOn(logger, 'error');
    const send = vi.spyOn(documentClient, 'send').mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    send.mockRestore();
    // DynamoDB unreachable is transient: 503 with Retry-After, not a bare 500.
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const body = await response.json();
    expect(body).toEqual({
      code: 20503,
      message: 'Service Unavailable: please retry shortly',
      more_info: 'https://www.twilio.com/docs/errors/20503',
      status: 503,
    });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith('request failed', expect.objectContaining({ error: expect.objectContaining({ code: 'ECONNREFUSED' }) }));
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    log.mockRestore();
  });

  it('answers Build Status 200 through a DynamoDB blip of a second and a half (the toolkit dies on any non-2xx)', async () => {
    const created = await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).json();
    const { documentClient } = await import('../../lambda/store/client');
    const send = documentClient.send.bind(documentClient);
    const until = Date.now() + 1_500;
    let refused = 0;
    const spy = vi.spyOn(documentClient, 'send').mockImplementation((async (command: never) => {
      if (Date.now() < until) {
        refused++;
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      }
      return send(command);
    }) as never);
    try {
      const response = await request(created.links.build_status);
      expect(response.status).toBe(200);
      expect(refused).toBeGreaterThan(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('answers Build Status 200 when a DynamoDB read hangs: the read is cancelled after its attempt timeout and retried', async () => {
    const created = await (await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! })).json();
    const { documentClient } = await import('../../lambda/store/client');
    const { STATUS_ATTEMPT_TIMEOUT_MS } = await import('../../lambda/handlers/fetch-build-status');
    const send = documentClient.send.bind(documentClient);
    const cancelled: number[] = [];
    let calls = 0;
    const spy = vi.spyOn(documentClient, 'send').mockImplementation(((command: never, options?: { abortSignal?: AbortSignal }) => {
      if (++calls > 1) return send(command, options as never);
      // The first read hangs until its abortSignal cancels it, as the SDK's request does.
      const started = Date.now();
      return new Promise((_, reject) =>
        options?.abortSignal?.addEventListener('abort', () => {
          cancelled.push(Date.now() - started);
          reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
        }),
      );
    }) as never);
    try {
      const response = await request(created.links.build_status);
      expect(response.status).toBe(200);
      expect(calls).toBe(2);
      expect(cancelled).toHaveLength(1);
      expect(cancelled[0]).toBeGreaterThanOrEqual(STATUS_ATTEMPT_TIMEOUT_MS - 50);
    } finally {
      spy.mockRestore();
    }
  });

  it('answers a generic 500 with a request id and no internals when DynamoDB fails', async () => {
    await stack.dynamoDb.send(new DeleteTableCommand({ TableName: stack.tableName }));
    for (const response of [
      await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! }),
      await request(`${stack.baseUrl}/v1/Services/ZS11111111111111111111111111111111/Builds`),
    ]) {
      expect(response.status).toBe(500);
      const text = await response.text();
      expect(JSON.parse(text)).toMatchObject({ code: 20500, status: 500, message: expect.stringContaining(response.headers.get('twilio-request-id')!) });
      expect(text).not.toMatch(/ResourceNotFound|non-existent table|builds-|DynamoDB|stack|at /i);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    }
  });
});
