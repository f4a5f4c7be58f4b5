import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../local/stack';
import { benchSeed } from './seed';

type Message = { type: string; data?: unknown };
const live = new Set<ChildProcess>();
const PHASE_TIMEOUT_MS = Number(process.env.BENCH_PHASE_TIMEOUT_SECONDS ?? 240) * 1000;

/** Kills every phase process still running (only the ones this bench started, by pid). */
export function killPhases(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A bench phase running in its own Node process (the handlers read their environment once, as on Lambda). */
export type PhaseProcess = ReturnType<typeof startPhase>;

/** Forks `bench/phases/<file>.ts` under tsx with extra environment variables (BENCH_SIDE, if any, names the side it serves). */
function startPhase(file: string, env: Record<string, string>) {
  const name = env.BENCH_SIDE ? `${file} (${env.BENCH_SIDE})` : file;
  // Made-up credentials only: the bench talks to DynamoDB Local and local endpoints, never to AWS.
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
  const child = fork(fileURLToPath(new URL(`../phases/${file}.ts`, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...inherited, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  live.add(child);
  // The handlers write one EMF metric line per create, as on Lambda: dropped here, the rest passed on.
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    const kept = lines.filter((line) => !line.includes('"_aws"'));
    if (kept.length) process.stdout.write(`${kept.join('\n')}\n`);
  });
  const queue: Message[] = [];
  const waiters: Array<{ type: string; resolve(data: unknown): void; reject(error: Error): void }> = [];
  let exited: Error | undefined;
  const failAll = (error: Error) => {
    exited ??= error;
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  };
  child.on('message', (message: Message) => {
    if (message.type === 'error') return failAll(new Error(`phase ${name} failed: ${String(message.data)}`));
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message.data);
    else queue.push(message);
  });
  child.on('exit', (code, signal) => {
    live.delete(child);
    failAll(new Error(`phase ${name} exited (code ${code}, signal ${signal})`));
  });
  return {
    /** The next message of this type (queued if it already arrived); rejects after BENCH_PHASE_TIMEOUT_SECONDS. */
    next<T>(type: string): Promise<T> {
      const index = queue.findIndex((message) => message.type === type);
      if (index >= 0) return Promise.resolve(queue.splice(index, 1)[0]!.data as T);
      if (exited) return Promise.reject(exited);
      let timer: NodeJS.Timeout | undefined;
      return new Promise<T>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`phase ${name}: no "${type}" within ${PHASE_TIMEOUT_MS} ms`)), PHASE_TIMEOUT_MS);
        waiters.push({ type, resolve: resolve as (data: unknown) => void, reject });
      }).finally(() => clearTimeout(timer));
    },
    /** Sends the phase a request and awaits its answer, a message of type `answer`. */
    ask<T>(type: string, answer: string, data?: unknown): Promise<T> {
      if (child.connected) child.send({ type, data });
      return this.next<T>(answer);
    },
    /** Asks the phase to stop, then kills it if it has not exited within 10 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.connected) child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** Starts a phase process, runs `use` with it (by default: awaits its one `result` message) and stops it, whatever happens. */
export async function withPhase<T>(file: string, env: Record<string, string>, use = (phase: PhaseProcess) => phase.next<T>('result')): Promise<T> {
  const phase = startPhase(file, env);
  try {
    return await use(phase);
  } finally {
    await phase.stop();
  }
}

/** Child side: sends a message to the orchestrator. */
export function report(type: string, data?: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('a bench phase must be started by bench/run.ts');
    process.send({ type, data }, () => resolve());
  });
}

/** Child side: handles the orchestrator's messages of one type. */
export function onRequest(type: string, handler: (data: unknown) => unknown): void {
  process.on('message', (message: Message) => {
    if (message.type === type) void Promise.resolve(handler(message.data)).catch(fail);
  });
}

/** Child side: reports a failure and exits. */
export function fail(error: unknown): never {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(text);
  if (process.send && process.connected) process.send({ type: 'error', data: text }, () => process.exit(1));
  else process.exit(1);
  return undefined as never;
}

/** Child side: the DynamoDB Local endpoint the orchestrator started. */
export function dynamoDbEndpoint(): string {
  if (!process.env.BENCH_DYNAMODB_ENDPOINT) throw new Error('BENCH_DYNAMODB_ENDPOINT is not set: run the bench with `npm run bench`');
  return process.env.BENCH_DYNAMODB_ENDPOINT;
}

/** Child side: a DynamoDB client of the phase's own on the orchestrator's DynamoDB Local, with `options`, and its document client. */
export function phaseDynamoDb(options: DynamoDBClientConfig = {}) {
  const client = new DynamoDBClient({ endpoint: dynamoDbEndpoint(), region: process.env.AWS_REGION ?? 'us-east-1', ...options });
  return { client, documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }) };
}

/**
 * Child side: the local stack on the orchestrator's DynamoDB Local, in a table of its own with the bench's seed, the
 * handlers with BENCH_HANDLER_ENV (the function's environment as `cdk synth` produces it, minus what the local stack sets).
 */
export async function startBenchStack(name: string, buildWaitSeconds: number): Promise<LocalStack> {
  // Imported here, not by the orchestrator, which shares this module.
  const { startLocalStack } = await import('../../local/stack');
  const env = JSON.parse(process.env.BENCH_HANDLER_ENV ?? '{}') as Record<string, string>;
  return startLocalStack({ seed: benchSeed, dynamoDbEndpoint: dynamoDbEndpoint(), tableName: `bench-${name}-${randomUUID()}`, buildWaitSeconds, port: 0, env });
}

/** Child side: runs `measure` on a bench stack, sends its result, stops the stack and exits (waiting workflows are not awaited). */
export function measureOnStack(name: string, buildWaitSeconds: number, measure: (stack: LocalStack) => Promise<unknown>): void {
  startBenchStack(name, buildWaitSeconds)
    .then(async (stack) => {
      await report('result', await measure(stack));
      await stack.stop();
      process.exit(0);
    })
    .catch(fail);
}

/**
 * Child side: a bare node:http server answering each request, once its body is read, 201 with what `create` returns (500 on
 * a failure, the first one logged). Reports `ready` with its URL; on `stop`, closes, runs `close` and exits.
 */
export async function serveCreates(what: string, create: () => Promise<string>, close: () => unknown): Promise<void> {
  const json = { 'Content-Type': 'application/json' };
  let failures = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      create().then(
        (body) => response.writeHead(201, json).end(body),
        (error: Error) => {
          if (failures++ === 0) console.error(`${what} failed: ${error.name}: ${error.message}`);
          response.writeHead(500, json).end(JSON.stringify({ message: error.name }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onRequest('stop', async () => {
    server.close();
    server.closeAllConnections();
    await close();
    process.exit(0);
  });
  await report('ready', { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}
