import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { freePort } from './dynamodb-local';

/** s3rver signs with accounts it knows; the local stack's credentials are registered as one of them. */
const require = createRequire(import.meta.url);
const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };

export interface S3Local {
  endpoint: string;
  stop(): Promise<void>;
}

export interface S3LocalOptions {
  /** Buckets to create at start. */
  buckets: string[];
  /** Keep objects in this folder; when unset, a temporary folder removed on stop. */
  directory?: string;
  /** The access key the clients sign with (any secret is accepted). */
  accessKeyId: string;
}

/**
 * A real S3-compatible server (s3rver) on a free loopback port, in process: the same
 * @aws-sdk/client-s3 calls as on AWS reach it with only the endpoint changed (path-style).
 */
export async function startS3Local(options: S3LocalOptions): Promise<S3Local> {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 's3-local-'));
  const port = await freePort();
  DUMMY_ACCOUNT.createKeyPair(options.accessKeyId, 'any');
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    allowMismatchedSignatures: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  };
}
