/**
 * Phase 7 (the client side): version uploads through the local stack over HTTP against the same
 * bytes put bare into the same S3 server, from this one process, interleaved, the order alternating.
 *
 *   upload  POST …/Assets/{ZH}/Versions, the multipart body Twilio's toolkit sends, on a keep-alive
 *           connection, until the whole 201 response is read;
 *   floor   the PutObject the handler sends, by the handler's own code (`ContentStore.put`), the
 *           SHA-256 computed inside the timer as the handler computes it; until its response.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { arch, platform } from 'node:os';
import { performance } from 'node:perf_hooks';
import { newSid } from '../../lambda/domain/sid';
import { fail, onRequest, report } from '../lib/ipc';
import { ASSET_VERSIONS_PATH, AUTHORIZATION, SERVICE, uploadForm } from '../lib/seed';
import type { StackReady } from './stack';

/** Per size: each side's time (ms), one per iteration, and the multipart body's bytes. */
export type UploadSamples = Awaited<ReturnType<typeof samples>>;

const target = JSON.parse(process.env.BENCH_UPLOAD_TARGET ?? '{}') as StackReady;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
/** The toolkit's Accept and User-Agent shape. */
const TOOLKIT_HEADERS = { accept: 'application/json', 'user-agent': `@twilio-labs/serverless-api (${platform()} ${arch()}) node/${process.version}` };
// The handler's content store, configured from the environment as in the function.
process.env.S3_ENDPOINT = target.s3Endpoint;
process.env.CONTENT_BUCKET = target.bucket;
const { content: contentOf } = await import('../../lambda/store/index');
const content = contentOf();

/** One upload over HTTP, timed to the end of the response; throws unless 201. */
function upload(body: Buffer, contentType: string): Promise<number> {
  const { hostname, port } = new URL(target.baseUrl);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers = { authorization: AUTHORIZATION, 'content-type': contentType, 'content-length': String(body.length), ...TOOLKIT_HEADERS };
    const outgoing = request({ agent, hostname, port, method: 'POST', path: ASSET_VERSIONS_PATH, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const elapsed = performance.now() - started;
        if (response.statusCode !== 201) reject(new Error(`upload answered ${response.statusCode}: ${Buffer.concat(chunks).toString('utf8').slice(0, 500)}`));
        else resolve(elapsed);
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** The handler's PutObject, bare: same parameters, the checksum computed inside the timer. */
async function floor(bytes: Buffer): Promise<number> {
  const started = performance.now();
  const sha256Base64 = createHash('sha256').update(bytes).digest('base64');
  await content.put(SERVICE, newSid('ZN'), { bytes, contentType: 'application/octet-stream', sha256Base64 });
  return performance.now() - started;
}

async function samples({ bytes: size, iterations }: { bytes: number; iterations: number }) {
  const bytes = randomBytes(size);
  const form = uploadForm(bytes);
  const result = { bytes: size, uploadMs: [] as number[], floorMs: [] as number[], multipartBytes: form.body.length };
  const viaStack = async () => result.uploadMs.push(await upload(form.body, form.contentType));
  const bare = async () => result.floorMs.push(await floor(bytes));
  for (let i = 0; i < iterations; i++) for (const side of i % 2 === 0 ? [viaStack, bare] : [bare, viaStack]) await side();
  return result;
}

// Per size, `warmup` iterations discarded, then the measured ones.
onRequest('measure', async (data) => {
  const { bytes, iterations, warmup } = data as { bytes: number; iterations: number; warmup: number };
  await samples({ bytes, iterations: warmup });
  await report('samples', await samples({ bytes, iterations }));
});
onRequest('stop', () => {
  agent.destroy();
  process.exit(0);
});
report('ready').catch(fail);
