/**
 * Phase 4 (the stack side): the local HTTP stack with the real workflow started by every create (a
 * short wait, so that its UpdateItems run during the load as in steady state), driven by the
 * orchestrator's autocannon.
 */
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambda/store/keys';
import { fail, onRequest, report, startBenchStack } from '../lib/ipc';
import { AUTHORIZATION, BUILDS_PATH, CREATE_FORM, SERVICE } from '../lib/seed';

export interface HttpStackReady {
  baseUrl: string;
  /** A build item as the handler wrote it: what the baseline server writes. */
  template: Record<string, unknown>;
}

async function main(): Promise<void> {
  const stack = await startBenchStack('http', Number(process.env.BENCH_HTTP_BUILD_WAIT_SECONDS ?? 1));
  const headers = { Authorization: AUTHORIZATION, 'Content-Type': 'application/x-www-form-urlencoded' };
  const response = await fetch(`${stack.baseUrl}${BUILDS_PATH}`, { method: 'POST', headers, body: CREATE_FORM });
  if (response.status !== 201) throw new Error(`warm-up create answered ${response.status}: ${await response.text()}`);
  const { sid } = (await response.json()) as { sid: string };
  const template = (await stack.documentClient.send(new GetCommand({ TableName: stack.tableName, Key: keys.build(SERVICE, sid) }))).Item!;
  onRequest('drain', async () => {
    const started = performance.now();
    await stack.stepFunctions.drain();
    await report('drained', { drainMs: performance.now() - started });
  });
  onRequest('stop', async () => {
    await stack.stop();
    process.exit(0);
  });
  await report('ready', { baseUrl: stack.baseUrl, template } satisfies HttpStackReady);
}

main().catch(fail);
