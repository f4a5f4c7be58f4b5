import { describe, expect, it, vi } from 'vitest';
import { type CostInputs, computeCost, readStackFacts, type StackFacts } from '../../bench/lib/cost';
import { PRICES } from '../../bench/prices';

vi.mock('../../lib/builds-stack', () => ({
  BuildsStack: class {
    constructor() {
      throw new Error('the stack is being edited');
    }
  },
}));

const stack: StackFacts = {
  source: 'test',
  createMemoryMb: 256,
  statusMemoryMb: 256,
  architecture: 'arm64',
  stateMachineType: 'EXPRESS',
  buildWaitSeconds: 10,
  createEnvironment: {},
  functions: {},
  streamPipes: 2,
  events: { pipeBatchSize: 1, workflowType: 'EXPRESS', getItemConsistentReads: [true], putEventsEntries: [1], logGroupTargets: 1 },
};

const inputs: CostInputs = {
  stack,
  createHandlerMs: 8.2,
  statusHandlerMs: 2.1,
  createReadItemBytes: [216, 329, 373, 376, 370, 371, 86],
  createReadKeys: 7,
  statusReadItemBytes: [216, 971],
  statusReadKeys: 2,
  buildBytesAtCreate: 970,
  transactionalCreate: false,
  rateCounterBytes: 86,
  buildBytesCompleted: 971,
  serviceBytesAfter: 415,
  workflowTaskMs: 40,
  completionLagMs: 300,
  buildEventBytes: 512,
};

/** The least a build's one event costs: pipe request, stream read, Express at 100 ms × 64 MB, one strongly consistent read, one custom event. */
const EVENT_FLOOR =
  PRICES.eventBridgePipesPerRequest +
  PRICES.dynamoDbStreamsPerReadRequestUnit +
  PRICES.stepFunctionsExpressPerRequest +
  (64 / 1024) * 0.1 * PRICES.stepFunctionsExpressPerGbSecond +
  PRICES.dynamoDbPerReadRequestUnit +
  PRICES.eventBridgeCustomEventPer64Kb;
/** What the deployed event adds to it: the archive log group's ingestion of the 512 B event. */
const ARCHIVE_INGESTION = (512 / 1e9) * PRICES.cloudWatchLogsIngestionPerGb;

const eventLines = (lines: Array<{ item: string; usdPerMillion: number }>) =>
  lines.filter((line) => line.item.startsWith('events:')).reduce((sum, line) => sum + line.usdPerMillion, 0);

describe('the cost model', () => {
  it("prices the design's floor per build: API, Lambda at 1 ms, 7 reads, 2 writes, the pipe's start, Express for exactly the wait, the build's event", () => {
    const floor =
      PRICES.httpApiPerRequest +
      PRICES.lambdaPerRequest +
      (256 / 1024) * 0.001 * PRICES.lambdaArmPerGbSecond +
      7 * 0.5 * PRICES.dynamoDbPerReadRequestUnit +
      2 * PRICES.dynamoDbPerWriteRequestUnit +
      PRICES.eventBridgePipesPerRequest +
      PRICES.dynamoDbStreamsPerReadRequestUnit +
      PRICES.stepFunctionsExpressPerRequest +
      (64 / 1024) * 10 * PRICES.stepFunctionsExpressPerGbSecond +
      EVENT_FLOOR;
    const cost = computeCost(inputs);
    expect(cost.floor.usdPerMillionBuilds).toBeCloseTo(floor * 1e6, 6);
    expect(cost.ratio).toBeCloseTo(cost.deployed.usdPerMillionBuilds / cost.floor.usdPerMillionBuilds, 9);
  });

  it('charges the deployed build what the floor leaves out: the measured duration, the counter and service writes, Express beyond the wait, the archive', () => {
    const cost = computeCost(inputs);
    const extra =
      (256 / 1024) * (9 - 1) * 0.001 * PRICES.lambdaArmPerGbSecond +
      2 * PRICES.dynamoDbPerWriteRequestUnit +
      (64 / 1024) * 0.1 * PRICES.stepFunctionsExpressPerGbSecond +
      ARCHIVE_INGESTION;
    expect(cost.deployed.usdPerMillionBuilds - cost.floor.usdPerMillionBuilds).toBeCloseTo(extra * 1e6, 6);
  });

  it("prices a build's event on both sides: the floor's least event, and the deployed one with its archive", () => {
    const cost = computeCost(inputs);
    expect(eventLines(cost.floor.lines)).toBeCloseTo(EVENT_FLOOR * 1e6, 6);
    expect(eventLines(cost.deployed.lines)).toBeCloseTo((EVENT_FLOOR + ARCHIVE_INGESTION) * 1e6, 6);
  });

  it('prices the events workflow’s read and execution as the stack configures them', () => {
    const eventually = computeCost({ ...inputs, stack: { ...stack, events: { ...stack.events, getItemConsistentReads: [false] } } });
    expect(eventLines(computeCost(inputs).deployed.lines) - eventLines(eventually.deployed.lines)).toBeCloseTo(
      0.5 * PRICES.dynamoDbPerReadRequestUnit * 1e6,
      6,
    );
    const large = computeCost({ ...inputs, buildBytesCompleted: 5000 });
    expect(eventLines(large.deployed.lines) - eventLines(computeCost(inputs).deployed.lines)).toBeCloseTo(PRICES.dynamoDbPerReadRequestUnit * 1e6, 6);
    const batched = computeCost({ ...inputs, stack: { ...stack, events: { ...stack.events, pipeBatchSize: 10 } } });
    const execution =
      PRICES.stepFunctionsExpressPerRequest + (64 / 1024) * 0.1 * PRICES.stepFunctionsExpressPerGbSecond + PRICES.dynamoDbStreamsPerReadRequestUnit;
    expect(eventLines(computeCost(inputs).deployed.lines) - eventLines(batched.deployed.lines)).toBeCloseTo(0.9 * execution * 1e6, 6);
    expect(() => computeCost({ ...inputs, stack: { ...stack, events: { ...stack.events, workflowType: 'STANDARD' } } })).toThrow(/Express events workflow/);
  });

  it("prices a Status poll against one request, one invocation at 1 ms and one item's read", () => {
    const { statusPoll } = computeCost(inputs);
    const floor =
      PRICES.httpApiPerRequest + PRICES.lambdaPerRequest + (256 / 1024) * 0.001 * PRICES.lambdaArmPerGbSecond + 0.5 * PRICES.dynamoDbPerReadRequestUnit;
    expect(statusPoll.floor.usdPerMillionPolls).toBeCloseTo(floor * 1e6, 6);
    expect(statusPoll.usdPerMillionPolls - statusPoll.floor.usdPerMillionPolls).toBeCloseTo(
      ((256 / 1024) * 0.002 * PRICES.lambdaArmPerGbSecond + 0.5 * PRICES.dynamoDbPerReadRequestUnit) * 1e6,
      6,
    );
  });

  it('refuses item sizes that are not one per key the handler read', () => {
    expect(() => computeCost({ ...inputs, createReadKeys: 6 })).toThrow(/read 6 keys/);
    expect(() => computeCost({ ...inputs, statusReadKeys: 3 })).toThrow(/read 3 keys/);
  });

  it('fails loudly when the stack cannot be synthesized, with no fallback constants', async () => {
    await expect(readStackFacts('/tmp/bench-cost-test-cdk')).rejects.toThrow('the stack is being edited');
  });
});
