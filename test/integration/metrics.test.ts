import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hourOf } from '../../lambda/domain/rate-limit';
import { keys } from '../../lambda/store/keys';
import type { LocalStack } from '../../local/stack';
import { ACCOUNT, FUNCTION_VERSIONS, OTHER_ACCOUNT, OTHER_FUNCTION_VERSION, OTHER_SERVICE, SERVICE } from '../support/fixtures';
import { call, completedBuild, createDeployable, createEnvironment, createService, expectJson, expectTwilioError, uploadVersion } from '../support/resources';
import { createBuild, startTestStack } from '../support/stack';

/** The handlers run in this process: their EMF lines are written to this process's stdout. */
let written: string[] = [];
let stack: LocalStack;
beforeAll(async () => {
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.includes('"_aws"')) {
      written.push(...text.split('\n').filter(Boolean));
      return true;
    }
    return write(chunk, ...(rest as []));
  });
  stack = await startTestStack({ env: { POWERTOOLS_METRICS_DISABLED: 'false', RATE_LIMIT_BUILDS_PER_HOUR: '100' } });
});
afterAll(async () => {
  await stack?.stop();
  vi.restoreAllMocks();
});

interface Emitted {
  metrics: Record<string, string>;
  values: Record<string, unknown>;
}

/** The metrics the requests made by `act` emitted: name → unit, and the whole records' values. */
async function emittedBy(act: () => Promise<unknown>): Promise<Emitted[]> {
  written = [];
  await act();
  return written.map((line) => {
    const record = JSON.parse(line) as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    };
    const [directive] = record._aws.CloudWatchMetrics;
    expect(directive).toMatchObject({ Namespace: 'TwilioServerless', Dimensions: [['service']] });
    return { metrics: Object.fromEntries(directive!.Metrics.map((metric) => [metric.Name, metric.Unit])), values: record };
  });
}

const form = { FunctionVersions: FUNCTION_VERSIONS[0]!, Dependencies: '[{"name":"twilio","version":"5.0.0"}]' };

describe('business metrics of the handlers, through the local stack', () => {
  it('counts a created build, with the account as a property', async () => {
    const emitted = await emittedBy(async () => expect((await createBuild(stack, form)).status).toBe(201));
    expect(emitted).toEqual([{ metrics: { BuildsCreated: 'Count' }, values: expect.objectContaining({ BuildsCreated: 1, accountSid: ACCOUNT.sid }) }]);
  });

  it('counts a replay of an Idempotency-Key as a replay, not as a created build', async () => {
    const withKey = { headers: { 'Idempotency-Key': 'metrics-1' } };
    await emittedBy(() => createBuild(stack, form, withKey));
    const emitted = await emittedBy(async () => expect((await createBuild(stack, form, withKey)).headers.get('idempotent-replayed')).toBe('true'));
    expect(emitted).toEqual([{ metrics: { IdempotentReplays: 'Count' }, values: expect.objectContaining({ IdempotentReplays: 1, accountSid: ACCOUNT.sid }) }]);
  });

  it('counts a create refused by the hourly limit', async () => {
    await stack.documentClient.send(
      new PutCommand({ TableName: stack.tableName, Item: { ...keys.rateWindow(OTHER_ACCOUNT.sid, hourOf(new Date())), build_count: 100 } }),
    );
    const emitted = await emittedBy(async () => {
      const response = await createBuild(stack, { FunctionVersions: OTHER_FUNCTION_VERSION }, { account: OTHER_ACCOUNT, serviceSid: OTHER_SERVICE });
      await expectTwilioError(response, 429, 20429);
    });
    expect(emitted).toEqual([
      { metrics: { RateLimitedCreates: 'Count' }, values: expect.objectContaining({ RateLimitedCreates: 1, accountSid: OTHER_ACCOUNT.sid }) },
    ]);
  });

  it('counts an upload and its content bytes', async () => {
    const service = await createService(stack, 'metrics-uploads');
    const fn = await createDeployable(stack, 'Functions', service.sid, 'metrics');
    const content = 'exports.handler = (context, event, callback) => callback(null, "ok");';
    const emitted = await emittedBy(() => uploadVersion(stack, 'Functions', service.sid, fn.sid, { Path: '/metrics', Visibility: 'public', Content: content }));
    expect(emitted).toEqual([
      {
        metrics: { Uploads: 'Count', UploadBytes: 'Bytes' },
        values: expect.objectContaining({ Uploads: 1, UploadBytes: Buffer.byteLength(content), accountSid: ACCOUNT.sid }),
      },
    ]);
  });

  it('counts a deployment', async () => {
    const build = await completedBuild(stack, SERVICE, { FunctionVersions: [FUNCTION_VERSIONS[0]!] });
    const environment = await createEnvironment(stack, SERVICE, { UniqueName: 'metrics' });
    const emitted = await emittedBy(async () =>
      expectJson(await call(stack, 'POST', `/v1/Services/${SERVICE}/Environments/${environment.sid}/Deployments`, { form: { BuildSid: build.sid } }), 201),
    );
    expect(emitted).toEqual([{ metrics: { Deployments: 'Count' }, values: expect.objectContaining({ Deployments: 1, accountSid: ACCOUNT.sid }) }]);
  });

  it('emits nothing for reads', async () => {
    const emitted = await emittedBy(async () => expectJson(await call(stack, 'GET', `/v1/Services/${SERVICE}/Builds`), 200));
    expect(emitted).toEqual([]);
  });
});
