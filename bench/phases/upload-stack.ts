/**
 * Phase 7 (the stack side): the local stack serving version uploads, and the S3 server (s3rver)
 * both sides of the comparison write to. The handlers' own DynamoDB and S3 clients are timed per
 * command, so that an upload's time splits into its requests and the rest.
 */
import { performance } from 'node:perf_hooks';
import { fail, onRequest, report, startBenchStack } from '../lib/ipc';

export interface UploadStackReady {
  baseUrl: string;
  s3Endpoint: string;
  bucket: string;
}

export interface UploadBreakdown {
  /** Per command the handler sent since the last `breakdown` (PutObject, BatchGetItem…): each one's ms. */
  commandMs: Record<string, number[]>;
  /** Bytes of each PutObject body the handler sent. */
  putObjectBytes: number[];
}

type Next = (args: { input: Record<string, unknown> }) => Promise<unknown>;
type Timed = { middlewareStack: { add(middleware: (next: Next, context: { commandName?: string }) => Next, options: unknown): void } };

async function main(): Promise<void> {
  const stack = await startBenchStack('upload', 3600);
  // The handlers' own clients (the same module instances as the handlers the stack imported).
  const { dynamoDb } = await import('../../lambda/store/client');
  const { content } = await import('../../lambda/store/index');
  let breakdown: UploadBreakdown = { commandMs: {}, putObjectBytes: [] };
  for (const client of [dynamoDb, (content() as unknown as { client: unknown }).client] as Timed[]) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
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
  }
  onRequest('breakdown', async () => {
    const done = breakdown;
    breakdown = { commandMs: {}, putObjectBytes: [] };
    await report('breakdown', done);
  });
  onRequest('stop', async () => {
    await stack.stop();
    process.exit(0);
  });
  await report('ready', { baseUrl: stack.baseUrl, s3Endpoint: process.env.S3_ENDPOINT!, bucket: process.env.CONTENT_BUCKET! } satisfies UploadStackReady);
}

main().catch(fail);
