import { describe, expect, it } from 'vitest';
import { readStackFacts } from '../../bench/lib/cost';

describe('the cost model reads the synthesized stack', () => {
  it('finds the build workflow and the events path as lib/builds-stack.ts deploys them', async () => {
    const facts = await readStackFacts('/tmp/bench-cost-stack-test-cdk');
    expect(facts.stateMachineType).toBe('EXPRESS');
    expect(facts.buildWaitSeconds).toBeGreaterThan(0);
    expect(facts.streamPipes).toBe(2);
    expect(facts.events).toEqual({
      pipeBatchSize: 1,
      workflowType: 'EXPRESS',
      getItemConsistentReads: [true],
      putEventsEntries: [1],
      logGroupTargets: 1,
    });
  }, 120_000);
});
