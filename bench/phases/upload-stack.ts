/**
 * Phase 7 (the stack side): the local stack serving version uploads — the real handlers behind
 * the API Gateway adapter, DynamoDB Local, and the in-process S3 server (s3rver) both sides of the
 * upload comparison write to. The handler's own DynamoDB and S3 clients are timed per command, so
 * that an upload's time can be split into its requests and the rest.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { startLocalStack } from '../../local/stack';
import { dynamoDbEndpoint, fail, handlerEnv, onRequest, report } from '../lib/ipc';
import { benchSeed } from '../lib/seed';

export interface UploadStackReady {
  baseUrl: string;
  s3Endpoint: string;
  bucket: string;
}

export interface UploadBreakdown {
  /** Per command the handler sent since the last reset (PutObject, BatchGetItem…): each one's ms. */
  commandMs: Record<string, number[]>;
  /** Bytes of each PutObject body the handler sent. */
  putObjectBytes: number[];
}

interface TimedStack {
  middlewareStack: { add(middleware: unknown, options: unknown): void };
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    seed: benchSeed,
    dynamoDbEndpoint: dynamoDbEndpoint(),
    tableName: `bench-upload-${randomUUID()}`,
    buildWaitSeconds: 3600,
    port: 0,
    env: handlerEnv(),
  });
  // The handler's own clients (same module instances as the handlers the stack imported).
  const { dynamoDb } = await import('../../lambda/store/client');
  const { content } = await import('../../lambda/store/index');
  const s3 = (content() as unknown as { client: S3Client }).client;

  let breakdown: UploadBreakdown = { commandMs: {}, putObjectBytes: [] };
  const time = (client: TimedStack) =>
    client.middlewareStack.add(
      (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          const name = String(context.commandName ?? 'unknown').replace(/Command$/, '');
          const started = performance.now();
          try {
            return await next(args);
          } finally {
            (breakdown.commandMs[name] ??= []).push(performance.now() - started);
            if (name === 'PutObject') breakdown.putObjectBytes.push((args.input.Body as Uint8Array | undefined)?.length ?? -1);
          }
        },
      { step: 'initialize', name: 'benchTimeCommands', priority: 'high' },
    );
  time(dynamoDb as unknown as TimedStack);
  time(s3 as unknown as TimedStack);

  onRequest('breakdown', async () => {
    const done = breakdown;
    breakdown = { commandMs: {}, putObjectBytes: [] };
    await report('breakdown', done);
  });
  onRequest('stop', async () => {
    await stack.stop();
    process.exit(0);
  });
  const ready: UploadStackReady = { baseUrl: stack.baseUrl, s3Endpoint: process.env.S3_ENDPOINT!, bucket: process.env.CONTENT_BUCKET! };
  await report('ready', ready);
}

main().catch(fail);
