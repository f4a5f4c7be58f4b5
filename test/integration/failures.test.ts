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
  it('marks the build failed and answers 503 when its workflow cannot start: no 201 names a build that cannot complete', async () => {
    // Imported only now: the handlers' modules read their configuration when first imported.
    const { logger } = await import('../../lambda/http/middleware');
    const log = vi.spyOn(logger, 'error');
    await stack.stepFunctions.stop();
    const response = await createBuild(stack, { FunctionVersions: FUNCTION_VERSIONS[0]! });
    // Step Functions unreachable is transient: 503 with Retry-After, not a bare 500.
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    const body = await response.json();
    expect(body).toEqual({
      code: 20503,
      message: 'Service Unavailable: please retry shortly',
      more_info: 'https://www.twilio.com/docs/errors/20503',
      status: 503,
    });
    const items = await buildItems(stack);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'failed', error_code: 20500 });
    // Logged with the cause, which the body never carries.
    expect(log).toHaveBeenCalledWith(
      expect.stringContaining('could not start the build workflow'),
      expect.objectContaining({ error: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
    );
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    log.mockRestore();
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
