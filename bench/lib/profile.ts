import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

/** Where CPU time of the local stack process goes, by what would and would not run on AWS. */
export function categoryOf(url: string, functionName: string): string {
  if (functionName === '(idle)') return 'idle';
  if (/aws-local-stepfunctions|jsonpath-plus|\/local\/step-functions\.ts/.test(url)) return 'local workflow runner (not on AWS)';
  if (/\/local\/(http-adapter|stack|backend)\.ts/.test(url)) return 'local API Gateway adapter (not on AWS)';
  if (/@middy|@aws-lambda-powertools|node_modules\/zod\/|validate-npm-package-name/.test(url)) return 'handler libraries (Middy, Powertools, zod)';
  if (/\/lambda\//.test(url) && !url.includes('node_modules')) return 'handler code (lambda/)';
  if (/@aws-sdk|@smithy/.test(url)) return 'AWS SDK';
  if (functionName === '(garbage collector)') return 'garbage collector';
  return 'Node runtime (HTTP, streams, crypto, …)';
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** This process's CPU profile (V8's `.cpuprofile` format, sampled every 500 µs) while `during` runs. */
export async function cpuProfile(during: () => Promise<void>): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  await during();
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  return profile;
}

/** Samples this process's CPU while `during` runs; self time by category, in ms. */
export async function profileCategories(during: () => Promise<void>): Promise<Record<string, number>> {
  const profile = await cpuProfile(during);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals: Record<string, number> = {};
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const category = node ? categoryOf(node.callFrame.url, node.callFrame.functionName) : 'unknown';
    totals[category] = (totals[category] ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return totals;
}
