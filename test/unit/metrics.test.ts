import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Before the chain (and its Metrics) is imported: the test config turns EMF off for other tests.
vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  // At WARN, a warning Powertools logged for a request that counts nothing would show in stdout.
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
});

const { businessMetrics } = await import('../../lambda/http/metrics');
const { httpRoute, json } = await import('../../lambda/http/middleware');
const { tooManyRequests } = await import('../../lambda/http/errors');
const { lambdaContext } = await import('../../local/http-adapter');
type ApiContext = import('../../lambda/http/middleware').ApiContext;

const ACCOUNT_SID = `AC${'3'.repeat(32)}`;
const AUTH = `Basic ${Buffer.from(`${ACCOUNT_SID}:token`).toString('base64')}`;

const noApiKeys = { getApiKey: async () => undefined };
const created = httpRoute(noApiKeys, async (_event, context) => {
  businessMetrics.buildCreated(context.credentials.accountSid);
  return json(201, {});
});
const uploaded = httpRoute(noApiKeys, async (_event, context) => {
  businessMetrics.upload(context.credentials.accountSid, 4096);
  return json(201, {});
});
const refused = httpRoute(noApiKeys, async (_event, context) => {
  businessMetrics.rateLimitedCreate(context.credentials.accountSid);
  throw tooManyRequests(60, 100);
});
const readOnly = httpRoute(noApiKeys, async () => json(200, {}));

const event = {
  version: '2.0',
  routeKey: 'POST /x',
  rawPath: '/x',
  rawQueryString: '',
  headers: { authorization: AUTH },
  isBase64Encoded: false,
  requestContext: { domainName: 'h', http: { method: 'POST', path: '/x' }, requestId: 'r' },
} as unknown as APIGatewayProxyEventV2;

/** Every line written to stdout or stderr during a test (Powertools writes EMF to stdout, warnings to stderr). */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  }
});
afterEach(() => vi.restoreAllMocks());

interface EmfRecord {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}
const records = (): EmfRecord[] => lines.map((line) => JSON.parse(line) as EmfRecord).filter((record) => record._aws);

async function invoke(handler: typeof created) {
  return handler(structuredClone(event), lambdaContext('test', 'request-1') as ApiContext);
}

describe('business metrics (EMF on stdout, flushed by the chain)', () => {
  it('writes one record per request: namespace TwilioServerless, the service as the only dimension, the account as a property', async () => {
    expect((await invoke(created)).statusCode).toBe(201);
    const [record, ...more] = records();
    expect(more).toEqual([]);
    expect(record!._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'TwilioServerless', Dimensions: [['service']], Metrics: [{ Name: 'BuildsCreated', Unit: 'Count' }] },
    ]);
    expect(record).toMatchObject({ service: 'twilio-serverless-builds', BuildsCreated: 1, accountSid: ACCOUNT_SID });
  });

  it('counts an upload and its bytes in one record', async () => {
    await invoke(uploaded);
    const [record] = records();
    expect(record!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: 'Uploads', Unit: 'Count' },
      { Name: 'UploadBytes', Unit: 'Bytes' },
    ]);
    expect(record).toMatchObject({ Uploads: 1, UploadBytes: 4096, accountSid: ACCOUNT_SID });
  });

  it('flushes what a request counted when it ends in a Twilio error', async () => {
    expect((await invoke(refused)).statusCode).toBe(429);
    expect(records()).toHaveLength(1);
    expect(records()[0]).toMatchObject({ RateLimitedCreates: 1, accountSid: ACCOUNT_SID });
  });

  it('writes nothing for a request that counts nothing, and no warning either', async () => {
    expect((await invoke(readOnly)).statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('starts each request afresh: nothing counted by one request is written again by the next', async () => {
    await invoke(created);
    await invoke(readOnly);
    expect(records()).toHaveLength(1);
  });
});
