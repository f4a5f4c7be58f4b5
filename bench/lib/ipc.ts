import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Message {
  type: string;
  data?: unknown;
}

/** A bench phase running in its own Node process (each local stack needs its own process). */
export interface PhaseProcess {
  child: ChildProcess;
  /** The next message of this type (queued if it already arrived); rejects after `timeoutMs` (PHASE_TIMEOUT_MS). */
  next<T>(type: string, timeoutMs?: number): Promise<T>;
  send(type: string, data?: unknown): void;
  /** Asks the phase to stop, then kills it if it has not exited within 10 s. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** How long the orchestrator waits for each message of a phase (BENCH_PHASE_TIMEOUT_SECONDS, default 240 s). */
export const PHASE_TIMEOUT_MS = Number(process.env.BENCH_PHASE_TIMEOUT_SECONDS ?? 240) * 1000;

/** Kills every phase process still running (only the ones this bench started, by pid). */
export function killPhases(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Forks `bench/phases/<name>.ts` under tsx with extra environment variables. */
export function startPhase(name: string, env: Record<string, string>): PhaseProcess {
  const script = fileURLToPath(new URL(`../phases/${name}.ts`, import.meta.url));
  // Local, made-up credentials only: the bench talks to DynamoDB Local and the in-process
  // Step Functions endpoint, never to AWS.
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...inherited, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // The handlers' EMF metric lines (one per create) are written, as on Lambda, and dropped here;
  // anything else a phase prints is passed on.
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    const kept = lines.filter((line) => !line.includes('"_aws"'));
    if (kept.length) process.stdout.write(`${kept.join('\n')}\n`);
  });
  live.add(child);
  const queue: Message[] = [];
  const waiters: Array<{ type: string; resolve(data: unknown): void; reject(error: Error): void }> = [];
  let exited: Error | undefined;
  child.on('message', (message: Message) => {
    if (message.type === 'error') {
      exited = new Error(`phase ${name} failed: ${String(message.data)}`);
      for (const waiter of waiters.splice(0)) waiter.reject(exited);
      return;
    }
    const index = waiters.findIndex((waiter) => waiter.type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]!.resolve(message.data);
    else queue.push(message);
  });
  child.on('exit', (code, signal) => {
    live.delete(child);
    exited ??= new Error(`phase ${name} exited (code ${code}, signal ${signal})`);
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  });
  return {
    child,
    next<T>(type: string, timeoutMs = PHASE_TIMEOUT_MS): Promise<T> {
      const index = queue.findIndex((message) => message.type === type);
      if (index >= 0) return Promise.resolve(queue.splice(index, 1)[0]!.data as T);
      if (exited) return Promise.reject(exited);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`phase ${name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          type,
          resolve: (data) => {
            clearTimeout(timer);
            resolve(data as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    send(type, data) {
      if (child.connected) child.send({ type, data });
    },
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

/** Child side: sends a message to the orchestrator. */
export function report(type: string, data?: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('a bench phase must be started by bench/run.ts');
    process.send({ type, data }, () => resolve());
  });
}

/** Child side: handles messages of one type from the orchestrator. */
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

/** The DynamoDB Local endpoint the orchestrator started, passed to every phase. */
export function dynamoDbEndpoint(): string {
  const endpoint = process.env.BENCH_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('BENCH_DYNAMODB_ENDPOINT is not set: run the bench with `npm run bench`');
  return endpoint;
}

/**
 * The create function's environment as the CDK stack deploys it (string values only, minus the
 * table, endpoints and ARNs the local stack sets), passed by the orchestrator to every phase.
 */
export function handlerEnv(): Record<string, string> {
  return JSON.parse(process.env.BENCH_HANDLER_ENV ?? '{}') as Record<string, string>;
}
