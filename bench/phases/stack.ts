/**
 * Phases 4 and 7 (the stack side), driven over HTTP from other processes. Phase 4 (BENCH_SIDE=http): the real workflow
 * started by every create, with a short wait so that its UpdateItems run during the load as in steady state; one create
 * first, whose build item the baseline server copies; `drain` awaits the workflows. Phase 7 (BENCH_SIDE=uploads): version
 * uploads, into the stack's in-process S3 server (s3rver), which the upload client's bare side writes to as well.
 */
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambda/store/keys';
import { createOverHttp } from '../lib/events';
import { fail, onRequest, report, startBenchStack } from '../lib/ipc';
import { SERVICE } from '../lib/seed';

export interface StackReady {
  baseUrl: string;
  s3Endpoint: string;
  bucket: string;
  /** Phase 4: a build item as the create handler wrote it (what the baseline server writes). */
  template?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const http = process.env.BENCH_SIDE === 'http';
  const stack = await startBenchStack(http ? 'http' : 'upload', http ? Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1) : 3600);
  const key = http ? keys.build(SERVICE, (await createOverHttp(stack.baseUrl)).sid) : undefined;
  const template = key && (await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: key }))).Item!;
  onRequest('drain', async () => {
    const started = performance.now();
    await stack.stepFunctions.drain();
    await report('drained', { drainMs: performance.now() - started });
  });
  onRequest('stop', async () => {
    await stack.stop();
    process.exit(0);
  });
  await report('ready', { baseUrl: stack.baseUrl, s3Endpoint: process.env.S3_ENDPOINT!, bucket: process.env.CONTENT_BUCKET!, template } satisfies StackReady);
}

main().catch(fail);
