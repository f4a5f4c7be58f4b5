import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { PRICES, PRICES_AS_OF, REGION } from '../prices';
import { constructIdOf, PROJECT_ROOT } from './bundle';
import { eventuallyConsistentReadUnits, writeUnits } from './item-size';

type WorkflowType = 'STANDARD' | 'EXPRESS';

/** The settings the cost depends on, as the CDK stack deploys them. */
export type StackFacts = Awaited<ReturnType<typeof readStackFacts>>;

type Resource = { Type: string; Properties: Record<string, unknown> };
type DefinitionState = { Type: string; Resource?: string; Parameters?: { ConsistentRead?: boolean; Entries?: unknown[] } };

/**
 * The build events path as synthesized: the pipe that targets the events workflow (records per execution), that
 * workflow's type and tasks (each runs once per event: its GetItems' consistency, its PutEvents' entries), and the
 * targets of the bus's rules that are log groups (the archive: each event is ingested once per target).
 */
function buildEventsFacts(resources: Array<[string, Resource]>) {
  const workflow = resources.find(([logicalId, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && logicalId.startsWith('BuildEventsWorkflow'));
  const pipe = resources.find(([, r]) => r.Type === 'AWS::Pipes::Pipe' && (r.Properties.Target as { Ref?: string } | undefined)?.Ref === workflow?.[0]);
  const bus = resources.find(([logicalId, r]) => r.Type === 'AWS::Events::EventBus' && logicalId.startsWith('BuildEventsBus'));
  if (!workflow || !pipe || !bus) throw new Error('the build events workflow, its pipe or its bus was not found in the template');
  const definition = workflow[1].Properties.DefinitionString;
  if (typeof definition !== 'string') throw new Error('the build events workflow has no inline definition');
  const states = Object.values((JSON.parse(definition) as { States: Record<string, DefinitionState> }).States);
  const tasks = (resource: string) => states.filter((state) => state.Type === 'Task' && state.Resource === resource);
  const logGroupTargets = resources
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && (r.Properties.EventBusName as { Ref?: string } | undefined)?.Ref === bus[0])
    .flatMap(([, r]) => (r.Properties.Targets as Array<{ Arn: unknown }> | undefined) ?? [])
    .filter((target) => JSON.stringify(target.Arn).includes(':log-group:')).length;
  const streamParameters = (pipe[1].Properties.SourceParameters as { DynamoDBStreamParameters?: { BatchSize?: number } } | undefined)?.DynamoDBStreamParameters;
  return {
    // A DynamoDB stream source's default batch size is 100.
    pipeBatchSize: Number(streamParameters?.BatchSize ?? 100),
    workflowType: (workflow[1].Properties.StateMachineType as WorkflowType | undefined) ?? 'STANDARD',
    getItemConsistentReads: tasks('arn:aws:states:::dynamodb:getItem').map((state) => state.Parameters?.ConsistentRead === true),
    putEventsEntries: tasks('arn:aws:states:::events:putEvents').map((state) => state.Parameters?.Entries?.length ?? 0),
    logGroupTargets,
  };
}

/** Synthesizes the real stack (bundling skipped) and reads what the cost depends on; throws when it cannot (no fallback constants). */
export async function readStackFacts(outDir: string) {
  const { App } = await import('aws-cdk-lib');
  const { BuildsStack } = await import('../../lib/builds-stack');
  const { DEFAULT_SETTINGS } = await import('../../lib/stack-config');
  const app = new App({ outdir: outDir, context: { 'aws:cdk:bundling-stacks': [] } });
  new BuildsStack(app, 'BenchCost', { settings: DEFAULT_SETTINGS });
  const resources = Object.entries(app.synth().getStackByName('BenchCost').template.Resources as Record<string, Resource>);
  const fn = (id: string) => resources.find(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(`${id}Function`))?.[1].Properties;
  const create = fn('CreateBuild');
  const status = fn('FetchBuildStatus');
  // By its construct id: the events workflow is a second state machine.
  const machine = resources.find(([logicalId, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && logicalId.startsWith('BuildWorkflow'))?.[1].Properties;
  if (!create || !status || !machine) throw new Error('functions or state machine not found in the template');
  const waitSeconds = (machine.DefinitionSubstitutions as Record<string, unknown> | undefined)?.BuildWaitSeconds;
  if (waitSeconds === undefined || !Number.isFinite(Number(waitSeconds))) throw new Error('the state machine has no BuildWaitSeconds substitution');
  const plainStrings = (properties: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  const functions: Record<string, { memoryMb: number; environment: Record<string, string> }> = {};
  for (const entry of new Set<string>([...ROUTES.map((route) => route.entry), FALLBACK_ENTRY])) {
    const properties = fn(constructIdOf(entry).replace(/Function$/, ''));
    if (properties) functions[entry] = { memoryMb: Number(properties.MemorySize ?? 128), environment: plainStrings(properties) };
  }
  // Plain-string environment variables only (no CloudFormation tokens); `functions` by entry (`upload-version`, …).
  return {
    source: 'cdk synth of lib/builds-stack.ts with DEFAULT_SETTINGS (bundling skipped)',
    createMemoryMb: Number(create.MemorySize ?? 128),
    statusMemoryMb: Number(status.MemorySize ?? 128),
    architecture: ((create.Architectures as string[] | undefined) ?? ['x86_64']).join(','),
    stateMachineType: (machine.StateMachineType as WorkflowType | undefined) ?? 'STANDARD',
    buildWaitSeconds: Number(waitSeconds),
    createEnvironment: plainStrings(create),
    functions,
    // Pipes reading the table's stream: each one polls every shard, and reads each record it keeps.
    streamPipes: resources.filter(([, r]) => r.Type === 'AWS::Pipes::Pipe' && JSON.stringify(r.Properties.Source).includes('StreamArn')).length,
    events: buildEventsFacts(resources),
  };
}

/** The states of a build that completes: from StartAt, following Next and a Choice's Default (a supported runtime), to a Succeed, Fail or End. */
export function happyPathStates(): string[] {
  type State = { Type: string; Next?: string; Default?: string; End?: boolean };
  const definition = JSON.parse(readFileSync(join(PROJECT_ROOT, 'lib', 'build-workflow.asl.json'), 'utf8')) as {
    StartAt: string;
    States: Record<string, State>;
  };
  const path: string[] = [];
  for (let name: string | undefined = definition.StartAt; name !== undefined; ) {
    if (path.includes(name) || path.length > 100) throw new Error(`the happy path loops at ${name}`);
    const state: State | undefined = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    path.push(name);
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) break;
    name = state.Type === 'Choice' ? state.Default : state.Next;
  }
  return path;
}

/**
 * What the model prices, measured: handler p50s; the sizes of the items a create and a Status poll read, one per key their
 * BatchGetItem asked for (counted on the handler's client); whether the create's write is a TransactWriteItems (2 WRU per KB);
 * the hour's build count (CountBuild's item); the workflow's time beyond its wait; the completion lag (for the poll count);
 * a build's `Build Completed` event as a rule's target receives it (JSON bytes).
 */
export interface CostInputs {
  stack: StackFacts;
  createHandlerMs: number;
  statusHandlerMs: number;
  createReadItemBytes: number[];
  createReadKeys: number;
  statusReadItemBytes: number[];
  statusReadKeys: number;
  buildBytesAtCreate: number;
  transactionalCreate: boolean;
  rateCounterBytes: number | undefined;
  buildBytesCompleted: number;
  serviceBytesAfter: number;
  workflowTaskMs: number;
  completionLagMs: number;
  buildEventBytes: number;
}

/** An assumed round trip of one Status poll; @twilio-labs/serverless-api's waitForSuccessfulBuild sleeps 1,000 ms between polls. */
export const ASSUMED_POLL_ROUND_TRIP_MS = 100;
export const TOOLKIT_POLL_SLEEP_MS = 1000;
/** The events workflow's two tasks are assumed to end within Express's first 100 ms increment (not measured; a retry would bill more). */
export const ASSUMED_EVENTS_EXECUTION_MS = 100;
/** CloudWatch Logs bills ingestion per GB; taken as 10^9 bytes, the larger of the two readings. */
const BYTES_PER_GB = 1e9;
/** EventBridge bills each 64 KB chunk of an event as one event. */
const EVENT_CHUNK_BYTES = 64 * 1024;
/** Lambda bills duration per 1 ms: the least any invocation pays. */
const LAMBDA_MIN_BILLED_MS = 1;

type Line = { item: string; quantity: string; usdPerUnit: number };
const line = (item: string, quantity: string, usdPerUnit: number): Line => ({ item, quantity, usdPerUnit });
const usdOf = (lines: Line[]) => lines.reduce((sum, { usdPerUnit }) => sum + usdPerUnit, 0);
const perMillion = (lines: Line[]) => lines.map(({ usdPerUnit, ...rest }) => ({ ...rest, usdPerMillion: usdPerUnit * 1e6 }));
const readUnits = (sizes: number[]) => sizes.reduce((sum, bytes) => sum + eventuallyConsistentReadUnits(bytes), 0);
const reads = (item: string, rru: number, what: string) => line(item, `${rru} RRU (${what})`, rru * PRICES.dynamoDbPerReadRequestUnit);

function apiAndLambda(memoryMb: number, billedMs: number, architecture: string, what: string): Line[] {
  const gbSeconds = (memoryMb / 1024) * (billedMs / 1000);
  const duration = `${what} ${billedMs} ms @ ${memoryMb} MB = ${gbSeconds.toFixed(6)} GB-s`;
  return [
    line('API Gateway HTTP API request', '1', PRICES.httpApiPerRequest),
    line('Lambda request', '1', PRICES.lambdaPerRequest),
    line(`Lambda duration (${architecture})`, duration, gbSeconds * PRICES.lambdaArmPerGbSecond),
  ];
}

/** The crash-safe start: the Pipe's request for the build's stream record, and its read of the stream. */
const pipeStart = (): Line[] => [
  line('EventBridge Pipes request (the build’s INSERT record, after filtering)', '1', PRICES.eventBridgePipesPerRequest),
  line('DynamoDB Streams read (GetRecords returning the record)', '1 read request unit', PRICES.dynamoDbStreamsPerReadRequestUnit),
];

function expressExecution(waitMs: number, taskMs: number, prefix = ''): Line[] {
  const increment = PRICES.stepFunctionsExpressBillingIncrementMs;
  // An execution that ends at once still bills its first increment.
  const billedMs = Math.max(increment, Math.ceil((waitMs + taskMs) / increment) * increment);
  const mb = PRICES.stepFunctionsExpressMinimumMb;
  const gbSeconds = (mb / 1024) * (billedMs / 1000);
  const duration = `${billedMs} ms (wait ${waitMs} ms + tasks ${Math.round(taskMs)} ms, in ${increment} ms steps) × ${mb} MB = ${gbSeconds.toFixed(4)} GB-s`;
  return [
    line(`${prefix}Step Functions Express request`, '1', PRICES.stepFunctionsExpressPerRequest),
    line(`${prefix}Step Functions Express duration`, duration, gbSeconds * PRICES.stepFunctionsExpressPerGbSecond),
  ];
}

/**
 * A build's one event as deployed: the events pipe's request and stream read, the events workflow's execution (per pipe
 * batch), its GetItem of the completed build (billed on the item's size, not the projection), its PutEvents, and each
 * archive log group's ingestion of the event.
 */
function deployedBuildEvent(inputs: CostInputs): Line[] {
  const { events } = inputs.stack;
  if (events.workflowType !== 'EXPRESS') throw new Error(`the cost model prices an Express events workflow; the stack deploys ${events.workflowType}`);
  const perBatch = 1 / events.pipeBatchSize;
  const itemUnits = Math.max(1, Math.ceil(inputs.buildBytesCompleted / 4096));
  const rru = events.getItemConsistentReads.reduce((sum, consistent) => sum + (consistent ? itemUnits : itemUnits / 2), 0);
  const consistency = events.getItemConsistentReads.map((consistent) => (consistent ? 'strongly consistent' : 'eventually consistent')).join(', ');
  const entries = events.putEventsEntries.reduce((sum, count) => sum + count, 0) * Math.max(1, Math.ceil(inputs.buildEventBytes / EVENT_CHUNK_BYTES));
  const gb = (events.logGroupTargets * inputs.buildEventBytes) / BYTES_PER_GB;
  const streamRead = `${perBatch} read request unit (batch size ${events.pipeBatchSize})`;
  const putEvents = `${entries} (${events.putEventsEntries.length} PutEvents task, ${inputs.buildEventBytes} B event, per 64 KB)`;
  const ingestion = `${events.logGroupTargets} log group × ${inputs.buildEventBytes} B = ${gb.toExponential(3)} GB`;
  return [
    line('events: EventBridge Pipes request (the build’s MODIFY record, after filtering)', '1', PRICES.eventBridgePipesPerRequest),
    line('events: DynamoDB Streams read (GetRecords returning the record)', streamRead, perBatch * PRICES.dynamoDbStreamsPerReadRequestUnit),
    ...expressExecution(0, ASSUMED_EVENTS_EXECUTION_MS, 'events: ').map((each) =>
      line(each.item, `${each.quantity}, per batch of ${events.pipeBatchSize}`, each.usdPerUnit * perBatch),
    ),
    reads('events: DynamoDB read (the workflow’s GetItem of the build)', rru, `${consistency}; build ${inputs.buildBytesCompleted} B`),
    line('events: EventBridge custom event (PutEvents)', putEvents, entries * PRICES.eventBridgeCustomEventPer64Kb),
    line('events: CloudWatch Logs ingestion (the archive rule’s delivery)', ingestion, gb * PRICES.cloudWatchLogsIngestionPerGb),
  ];
}

/**
 * The least one event costs in this design: the pipe's request and stream read, one Express execution at the minimum, one
 * strongly consistent read of an item under 4 KB (an eventually consistent one may miss the write the record reports; see
 * lib/build-events.ts), one event. No archive.
 */
const floorBuildEvent = (): Line[] => [
  line('events: EventBridge Pipes request', '1', PRICES.eventBridgePipesPerRequest),
  line('events: DynamoDB Streams read', '1 read request unit', PRICES.dynamoDbStreamsPerReadRequestUnit),
  ...expressExecution(0, 0, 'events: '),
  line('events: DynamoDB read (one item under 4 KB, strongly consistent)', '1 RRU', PRICES.dynamoDbPerReadRequestUnit),
  line('events: EventBridge custom event', '1', PRICES.eventBridgeCustomEventPer64Kb),
];

/** One build as deployed: the create, its start from the stream, the workflow's writes and execution, its event; no client polls. */
function deployedBuild(inputs: CostInputs, workflow: WorkflowType) {
  const { stack } = inputs;
  if (inputs.createReadItemBytes.length !== inputs.createReadKeys) {
    throw new Error(`the create read ${inputs.createReadKeys} keys per request; the cost model was given ${inputs.createReadItemBytes.length} item sizes`);
  }
  const rru = readUnits(inputs.createReadItemBytes);
  const buildWru = writeUnits(inputs.buildBytesAtCreate);
  const putWru = inputs.transactionalCreate ? 2 * buildWru : buildWru;
  const counterWru = inputs.rateCounterBytes === undefined ? 0 : writeUnits(inputs.rateCounterBytes);
  const completeWru = writeUnits(Math.max(inputs.buildBytesAtCreate, inputs.buildBytesCompleted));
  const serviceWru = writeUnits(inputs.serviceBytesAfter);
  const wru = putWru + counterWru + completeWru + serviceWru;
  const writes = `${wru} WRU (${inputs.transactionalCreate ? 'TransactWriteItems' : 'PutItem'} of the build ${inputs.buildBytesAtCreate} B → ${putWru}; CountBuild UpdateItem ${inputs.rateCounterBytes ?? 0} B → ${counterWru}; CompleteBuild UpdateItem ${inputs.buildBytesCompleted} B → ${completeWru}; the service's last completed runtime ${inputs.serviceBytesAfter} B → ${serviceWru})`;
  const states = happyPathStates();
  const transitions = `${states.length} (${states.join(' → ')})`;
  const standard = line('Step Functions Standard state transitions', transitions, states.length * PRICES.stepFunctionsStandardPerTransition);
  const readItems = `${inputs.createReadKeys} items: ${inputs.createReadItemBytes.join(', ')} B`;
  const lines = [
    ...apiAndLambda(stack.createMemoryMb, Math.ceil(inputs.createHandlerMs), stack.architecture, 'create (measured p50)'),
    reads('DynamoDB reads (the create’s BatchGetItem, eventually consistent)', rru, readItems),
    line('DynamoDB writes', writes, wru * PRICES.dynamoDbPerWriteRequestUnit),
    ...pipeStart(),
    ...(workflow === 'STANDARD' ? [standard] : expressExecution(stack.buildWaitSeconds * 1000, inputs.workflowTaskMs)),
    ...deployedBuildEvent(inputs),
  ];
  return { workflowType: workflow, usdPerMillionBuilds: usdOf(lines) * 1e6, lines: perMillion(lines) };
}

/**
 * The least any implementation of this design pays per build: one API request, one invocation at the minimum billed
 * duration, the reads of exactly the items a create needs, a build that fits in 1 KB and its completing update, the
 * crash-safe start, one Express execution of exactly the configured wait at 64 MB, and the least the build's event costs.
 */
function floorBuild(inputs: CostInputs) {
  const { stack } = inputs;
  const rru = readUnits(inputs.createReadItemBytes);
  const lines = [
    ...apiAndLambda(stack.createMemoryMb, LAMBDA_MIN_BILLED_MS, stack.architecture, 'minimum billed'),
    reads('DynamoDB reads of the items a create needs (eventually consistent)', rru, `${inputs.createReadItemBytes.length} items under 4 KB`),
    line('DynamoDB writes', '2 WRU (the build ≤ 1 KB → 1; its completing update → 1)', 2 * PRICES.dynamoDbPerWriteRequestUnit),
    ...pipeStart(),
    ...expressExecution(stack.buildWaitSeconds * 1000, 0),
    ...floorBuildEvent(),
  ];
  return { usdPerMillionBuilds: usdOf(lines) * 1e6, lines: perMillion(lines) };
}

/** One Status poll as deployed, and its floor: one API request, one invocation at the minimum billed duration, one eventually consistent read. */
function statusPoll(inputs: CostInputs) {
  if (inputs.statusReadItemBytes.length !== inputs.statusReadKeys) {
    throw new Error(`Status read ${inputs.statusReadKeys} keys per request; the cost model was given ${inputs.statusReadItemBytes.length} item sizes`);
  }
  const { stack } = inputs;
  const rru = readUnits(inputs.statusReadItemBytes);
  const lines = [
    ...apiAndLambda(stack.statusMemoryMb, Math.ceil(inputs.statusHandlerMs), stack.architecture, 'Status (measured p50)'),
    reads('DynamoDB reads (Status’s BatchGetItem, eventually consistent)', rru, `${inputs.statusReadKeys} items: ${inputs.statusReadItemBytes.join(', ')} B`),
  ];
  const floorLines = [
    ...apiAndLambda(stack.statusMemoryMb, LAMBDA_MIN_BILLED_MS, stack.architecture, 'minimum billed'),
    line('DynamoDB read (one item, eventually consistent)', '0.5 RRU', 0.5 * PRICES.dynamoDbPerReadRequestUnit),
  ];
  return {
    usdPerMillionPolls: usdOf(lines) * 1e6,
    lines: perMillion(lines),
    floor: { usdPerMillionPolls: usdOf(floorLines) * 1e6, lines: perMillion(floorLines) },
  };
}

/** Status polls a deploy tool makes through one build: it polls, sleeps 1 s and repeats until `completed`. */
export function pollsPerBuild(buildWaitSeconds: number, completionLagMs: number): number {
  return Math.ceil((buildWaitSeconds * 1000 + completionLagMs) / (TOOLKIT_POLL_SLEEP_MS + ASSUMED_POLL_ROUND_TRIP_MS)) + 1;
}

/** The cost model: a build as deployed and its floor, a Status poll and its floor, and the other workflow type for the record. */
export function computeCost(inputs: CostInputs) {
  const { stack } = inputs;
  const deployed = deployedBuild(inputs, stack.stateMachineType);
  const floor = floorBuild(inputs);
  const poll = statusPoll(inputs);
  const polls = pollsPerBuild(stack.buildWaitSeconds, inputs.completionLagMs);
  const other = deployedBuild(inputs, stack.stateMachineType === 'STANDARD' ? 'EXPRESS' : 'STANDARD');
  return {
    region: REGION,
    pricesAsOf: PRICES_AS_OF,
    prices: PRICES,
    stack,
    assumptions: {
      handlerDurations: `in-process p50 against DynamoDB Local on this machine: create ${inputs.createHandlerMs.toFixed(2)} ms, Status ${inputs.statusHandlerMs.toFixed(2)} ms, billed rounded up to 1 ms`,
      happyPathStates: happyPathStates(),
      itemSizes:
        'measured from the items in DynamoDB Local, DynamoDB size rules; BatchGetItem items rounded up to 4 KB each, eventually consistent; writes per 1 KB',
      statusPollsPerBuild: `${polls}: @twilio-labs/serverless-api polls Status, sleeps ${TOOLKIT_POLL_SLEEP_MS} ms, repeats until completed; wait ${stack.buildWaitSeconds} s + measured completion lag ${Math.round(inputs.completionLagMs)} ms, ${ASSUMED_POLL_ROUND_TRIP_MS} ms assumed per poll round trip`,
      pipePolling: `each of the ${stack.streamPipes} pipes on the table's stream also polls each shard about 4 times a second whether or not there are records; those GetRecords calls are stream read request units billed per shard-hour of the table, not per build (about $2 a shard a month per pipe at the price above), and are left out`,
      buildEvents: `one event per build (its end), in both the deployed cost and the floor; the events workflow's duration is assumed (${ASSUMED_EVENTS_EXECUTION_MS} ms, not measured). A deployment's Deployment Created event costs about as much again, per deployment, and is not in the cost of a build`,
      notIncluded:
        'CloudWatch Logs ingestion ($0.50/GB: Lambda START/END/REPORT lines, API access logs, Step Functions logs at level ALL), X-Ray traces (active tracing, sampled), KMS (AWS managed key, DynamoDB caches data keys), DynamoDB storage (items expire after 24 h) and PITR, data transfer, free tiers',
    },
    deployed,
    floor,
    ratio: deployed.usdPerMillionBuilds / floor.usdPerMillionBuilds,
    statusPoll: poll,
    /** For the record: a build with the Status polls a deploy tool makes through the wait. */
    withPolls: { polls, usdPerMillionBuilds: deployed.usdPerMillionBuilds + polls * poll.usdPerMillionPolls },
    other,
  };
}
