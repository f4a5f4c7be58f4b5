import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { PRICES, PRICES_AS_OF, REGION } from '../prices';
import { constructIdOf, PROJECT_ROOT } from './bundle';
import { eventuallyConsistentReadUnits, writeUnits } from './item-size';

/** The settings the cost depends on, as the CDK stack deploys them. */
export interface StackFacts {
  source: string;
  createMemoryMb: number;
  statusMemoryMb: number;
  architecture: string;
  stateMachineType: 'STANDARD' | 'EXPRESS';
  buildWaitSeconds: number;
  /** The create function's environment variables that are plain strings (no CloudFormation tokens). */
  createEnvironment: Record<string, string>;
  /** Each function's memory and plain-string environment, by entry (`upload-version`, …). */
  functions: Record<string, { memoryMb: number; environment: Record<string, string> }>;
  /** Pipes reading the table's stream (each one polls every shard, and reads each record it keeps). */
  streamPipes: number;
  /** The build events path (lib/build-events-construct.ts) as synthesized. */
  events: BuildEventsFacts;
}

/** The settings an event's cost depends on, read from the synthesized events pipe, workflow and bus. */
export interface BuildEventsFacts {
  /** Records per execution the events pipe hands its workflow (one pipe request and one execution per batch). */
  pipeBatchSize: number;
  workflowType: 'STANDARD' | 'EXPRESS';
  /** The events workflow's GetItem tasks, each `true` when it reads strongly consistent. */
  getItemConsistentReads: boolean[];
  /** The events workflow's PutEvents tasks, each with the entries it puts. */
  putEventsEntries: number[];
  /** Targets of the bus's rules that are CloudWatch Logs log groups (the archive): each event is ingested once per target. */
  logGroupTargets: number;
}

type Resource = { Type: string; Properties: Record<string, unknown> };
type DefinitionState = { Type: string; Resource?: string; Parameters?: { ConsistentRead?: boolean; Entries?: unknown[] } };

/**
 * The events path's settings from the template: the pipe whose target is the events workflow,
 * that workflow's definition (its GetItem and PutEvents tasks; on the events path every task
 * runs once per event: read the item, put one event), and the log-group targets of the rules on
 * the events bus. Throws when any of them is missing.
 */
function buildEventsFacts(resources: Array<[string, Resource]>): BuildEventsFacts {
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
    workflowType: (workflow[1].Properties.StateMachineType as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
    getItemConsistentReads: tasks('arn:aws:states:::dynamodb:getItem').map((state) => state.Parameters?.ConsistentRead === true),
    putEventsEntries: tasks('arn:aws:states:::events:putEvents').map((state) => state.Parameters?.Entries?.length ?? 0),
    logGroupTargets,
  };
}

/**
 * Synthesizes the real stack (bundling skipped) and reads the functions' memory and
 * architecture, the state machine's type and the wait it is deployed with. Throws when the
 * stack cannot be synthesized: the cost of a stack the bench could not read is not known.
 */
export async function readStackFacts(outDir: string): Promise<StackFacts> {
  const { App } = await import('aws-cdk-lib');
  const { BuildsStack } = await import('../../lib/builds-stack');
  const { DEFAULT_SETTINGS } = await import('../../lib/stack-config');
  const app = new App({ outdir: outDir, context: { 'aws:cdk:bundling-stacks': [] } });
  new BuildsStack(app, 'BenchCost', { settings: DEFAULT_SETTINGS });
  const resources = Object.entries(app.synth().getStackByName('BenchCost').template.Resources as Record<string, Resource>);
  const fn = (id: string) => resources.find(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(`${id}Function`))?.[1].Properties;
  const create = fn('CreateBuild');
  const status = fn('FetchBuildStatus');
  // The build workflow by its construct id: the stack has a second state machine, the events workflow.
  const machine = resources.find(([logicalId, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && logicalId.startsWith('BuildWorkflow'))?.[1].Properties;
  if (!create || !status || !machine) throw new Error('functions or state machine not found in the template');
  const waitSeconds = (machine.DefinitionSubstitutions as Record<string, unknown> | undefined)?.BuildWaitSeconds;
  if (waitSeconds === undefined || !Number.isFinite(Number(waitSeconds))) throw new Error('the state machine has no BuildWaitSeconds substitution');
  const plainStrings = (properties: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(((properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}) as Record<string, unknown>).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
  const createEnvironment = plainStrings(create);
  const functions: StackFacts['functions'] = {};
  for (const entry of new Set<string>([...ROUTES.map((route) => route.entry), FALLBACK_ENTRY])) {
    const properties = fn(constructIdOf(entry).replace(/Function$/, ''));
    if (properties) functions[entry] = { memoryMb: Number(properties.MemorySize ?? 128), environment: plainStrings(properties) };
  }
  return {
    source: 'cdk synth of lib/builds-stack.ts with DEFAULT_SETTINGS (bundling skipped)',
    createMemoryMb: Number(create.MemorySize ?? 128),
    statusMemoryMb: Number(status.MemorySize ?? 128),
    architecture: ((create.Architectures as string[] | undefined) ?? ['x86_64']).join(','),
    stateMachineType: (machine.StateMachineType as 'STANDARD' | 'EXPRESS' | undefined) ?? 'STANDARD',
    buildWaitSeconds: Number(waitSeconds),
    createEnvironment,
    functions,
    streamPipes: resources.filter(([, r]) => r.Type === 'AWS::Pipes::Pipe' && JSON.stringify(r.Properties.Source).includes('StreamArn')).length,
    events: buildEventsFacts(resources),
  };
}

interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
}

/**
 * The states a build that completes normally goes through, read from the ASL file: from StartAt,
 * following Next, and a Choice's Default (a supported runtime), until a Succeed/Fail or End.
 */
export function happyPathStates(): string[] {
  const definition = JSON.parse(readFileSync(join(PROJECT_ROOT, 'lib', 'build-workflow.asl.json'), 'utf8')) as {
    StartAt: string;
    States: Record<string, AslState>;
  };
  const path: string[] = [];
  let name: string | undefined = definition.StartAt;
  while (name !== undefined) {
    if (path.includes(name) || path.length > 100) throw new Error(`the happy path loops at ${name}`);
    const state: AslState | undefined = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    path.push(name);
    if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) break;
    name = state.Type === 'Choice' ? state.Default : state.Next;
  }
  return path;
}

export interface CostInputs {
  stack: StackFacts;
  createHandlerMs: number;
  statusHandlerMs: number;
  /** Sizes in bytes of the items a create reads (account, service, versions, the hour's build count), one per key it asks for. */
  createReadItemBytes: number[];
  /** Keys the create's BatchGetItem asked for, per create (measured on the handler's client). */
  createReadKeys: number;
  /** Sizes of the items a Status poll reads (account, build at its largest), one per key it asks for. */
  statusReadItemBytes: number[];
  statusReadKeys: number;
  buildBytesAtCreate: number;
  /** The create wrote with TransactWriteItems (an Idempotency-Key: 2 WRU per KB per item) rather than a PutItem. */
  transactionalCreate: boolean;
  /** The hour's build count, which the workflow's CountBuild updates. */
  rateCounterBytes: number | undefined;
  buildBytesCompleted: number;
  serviceBytesAfter: number;
  /** Extra time the workflow runs beyond its wait (its DynamoDB tasks), for Express duration. */
  workflowTaskMs: number;
  /** Completion lag (p50) beyond the wait, for the poll count. */
  completionLagMs: number;
  /** Size in bytes of a build's `Build Completed` event as a rule's target receives it (JSON), measured on the local bus. */
  buildEventBytes: number;
}

/** Round trip of one Status poll from a deploy tool to API Gateway (an assumption). */
export const ASSUMED_POLL_ROUND_TRIP_MS = 100;
/** @twilio-labs/serverless-api waitForSuccessfulBuild: poll, then sleep 1,000 ms, until completed. */
export const TOOLKIT_POLL_SLEEP_MS = 1000;
/**
 * The events workflow's billed duration: its two tasks (one GetItem, one PutEvents) are assumed
 * to end within Express's first 100 ms increment. Not measured (the bench times the build
 * workflow only); a retried task (1 s backoff and more) would bill more.
 */
export const ASSUMED_EVENTS_EXECUTION_MS = 100;
/** CloudWatch Logs bills ingestion per GB; taken as 10^9 bytes, the larger of the two readings. */
const BYTES_PER_GB = 1e9;
/** EventBridge bills each 64 KB chunk of an event as one event. */
const EVENT_CHUNK_BYTES = 64 * 1024;
/** Lambda bills duration per 1 ms: the least any invocation pays. */
const LAMBDA_MIN_BILLED_MS = 1;

type Line = { item: string; quantity: string; usdPerUnit: number };

const usdOf = (lines: Line[]) => lines.reduce((sum, line) => sum + line.usdPerUnit, 0);
const perMillion = (lines: Line[]) => lines.map(({ usdPerUnit, ...line }) => ({ ...line, usdPerMillion: usdPerUnit * 1e6 }));
const readUnits = (sizes: number[]) => sizes.reduce((sum, bytes) => sum + eventuallyConsistentReadUnits(bytes), 0);

function apiAndLambda(memoryMb: number, billedMs: number, architecture: string, what: string): Line[] {
  const gbSeconds = (memoryMb / 1024) * (billedMs / 1000);
  return [
    { item: 'API Gateway HTTP API request', quantity: '1', usdPerUnit: PRICES.httpApiPerRequest },
    { item: 'Lambda request', quantity: '1', usdPerUnit: PRICES.lambdaPerRequest },
    {
      item: `Lambda duration (${architecture})`,
      quantity: `${what} ${billedMs} ms @ ${memoryMb} MB = ${gbSeconds.toFixed(6)} GB-s`,
      usdPerUnit: gbSeconds * PRICES.lambdaArmPerGbSecond,
    },
  ];
}

/** The crash-safe start: the EventBridge Pipe's request for the build's stream record, and its read of the stream. */
const pipeStart = (): Line[] => [
  { item: 'EventBridge Pipes request (the build’s INSERT record, after filtering)', quantity: '1', usdPerUnit: PRICES.eventBridgePipesPerRequest },
  { item: 'DynamoDB Streams read (GetRecords returning the record)', quantity: '1 read request unit', usdPerUnit: PRICES.dynamoDbStreamsPerReadRequestUnit },
];

function expressExecution(waitMs: number, taskMs: number, prefix = ''): Line[] {
  const increment = PRICES.stepFunctionsExpressBillingIncrementMs;
  // At least one increment: an execution that ends at once still bills its first 100 ms.
  const billedMs = Math.max(increment, Math.ceil((waitMs + taskMs) / increment) * increment);
  const gbSeconds = (PRICES.stepFunctionsExpressMinimumMb / 1024) * (billedMs / 1000);
  return [
    { item: `${prefix}Step Functions Express request`, quantity: '1', usdPerUnit: PRICES.stepFunctionsExpressPerRequest },
    {
      item: `${prefix}Step Functions Express duration`,
      quantity: `${billedMs} ms (wait ${waitMs} ms + tasks ${Math.round(taskMs)} ms, in ${increment} ms steps) × ${PRICES.stepFunctionsExpressMinimumMb} MB = ${gbSeconds.toFixed(4)} GB-s`,
      usdPerUnit: gbSeconds * PRICES.stepFunctionsExpressPerGbSecond,
    },
  ];
}

/**
 * A build's one event (`Build Completed` or `Failed`) as deployed: the events pipe's request for
 * the record its filters keep and its stream read, the events workflow's Express execution
 * (per batch of the pipe), its GetItem of the completed build (DynamoDB bills the item's size,
 * not the projected attributes), its PutEvents and each archive log group's ingestion of the event.
 */
function deployedBuildEvent(inputs: CostInputs): Line[] {
  const { events } = inputs.stack;
  if (events.workflowType !== 'EXPRESS') throw new Error(`the cost model prices an Express events workflow; the stack deploys ${events.workflowType}`);
  const perBatch = 1 / events.pipeBatchSize;
  const lines: Line[] = [
    { item: 'events: EventBridge Pipes request (the build’s MODIFY record, after filtering)', quantity: '1', usdPerUnit: PRICES.eventBridgePipesPerRequest },
    {
      item: 'events: DynamoDB Streams read (GetRecords returning the record)',
      quantity: `${perBatch} read request unit (batch size ${events.pipeBatchSize})`,
      usdPerUnit: perBatch * PRICES.dynamoDbStreamsPerReadRequestUnit,
    },
    ...expressExecution(0, ASSUMED_EVENTS_EXECUTION_MS, 'events: ').map((line) => ({
      ...line,
      quantity: `${line.quantity}, per batch of ${events.pipeBatchSize}`,
      usdPerUnit: line.usdPerUnit * perBatch,
    })),
  ];
  const itemUnits = Math.max(1, Math.ceil(inputs.buildBytesCompleted / 4096));
  const rru = events.getItemConsistentReads.reduce((sum, consistent) => sum + (consistent ? itemUnits : itemUnits / 2), 0);
  lines.push({
    item: 'events: DynamoDB read (the workflow’s GetItem of the build)',
    quantity: `${rru} RRU (${events.getItemConsistentReads.map((consistent) => (consistent ? 'strongly consistent' : 'eventually consistent')).join(', ')}; build ${inputs.buildBytesCompleted} B)`,
    usdPerUnit: rru * PRICES.dynamoDbPerReadRequestUnit,
  });
  const entries = events.putEventsEntries.reduce((sum, count) => sum + count, 0) * Math.max(1, Math.ceil(inputs.buildEventBytes / EVENT_CHUNK_BYTES));
  lines.push({
    item: 'events: EventBridge custom event (PutEvents)',
    quantity: `${entries} (${events.putEventsEntries.length} PutEvents task, ${inputs.buildEventBytes} B event, per 64 KB)`,
    usdPerUnit: entries * PRICES.eventBridgeCustomEventPer64Kb,
  });
  const gb = (events.logGroupTargets * inputs.buildEventBytes) / BYTES_PER_GB;
  lines.push({
    item: 'events: CloudWatch Logs ingestion (the archive rule’s delivery)',
    quantity: `${events.logGroupTargets} log group × ${inputs.buildEventBytes} B = ${gb.toExponential(3)} GB`,
    usdPerUnit: gb * PRICES.cloudWatchLogsIngestionPerGb,
  });
  return lines;
}

/**
 * The least one event costs in this design: the pipe's request and stream read for the record,
 * one Express execution at the minimum (one 100 ms increment at 64 MB), one strongly consistent
 * read of an item under 4 KB (the design reads the item, see lib/build-events.ts; an eventually
 * consistent read may not see the write the record reports) and one PutEvents event. No archive.
 */
function floorBuildEvent(): Line[] {
  return [
    { item: 'events: EventBridge Pipes request', quantity: '1', usdPerUnit: PRICES.eventBridgePipesPerRequest },
    { item: 'events: DynamoDB Streams read', quantity: '1 read request unit', usdPerUnit: PRICES.dynamoDbStreamsPerReadRequestUnit },
    ...expressExecution(0, 0, 'events: '),
    { item: 'events: DynamoDB read (one item under 4 KB, strongly consistent)', quantity: '1 RRU', usdPerUnit: PRICES.dynamoDbPerReadRequestUnit },
    { item: 'events: EventBridge custom event', quantity: '1', usdPerUnit: PRICES.eventBridgeCustomEventPer64Kb },
  ];
}

/** One build as deployed: the create, its start from the stream, the workflow's writes and execution; no client polls. */
function deployedBuild(inputs: CostInputs, workflow: 'STANDARD' | 'EXPRESS') {
  const { stack } = inputs;
  if (inputs.createReadItemBytes.length !== inputs.createReadKeys) {
    throw new Error(`the create read ${inputs.createReadKeys} keys per request; the cost model was given ${inputs.createReadItemBytes.length} item sizes`);
  }
  const lines = apiAndLambda(stack.createMemoryMb, Math.ceil(inputs.createHandlerMs), stack.architecture, 'create (measured p50)');
  const rru = readUnits(inputs.createReadItemBytes);
  lines.push({
    item: 'DynamoDB reads (the create’s BatchGetItem, eventually consistent)',
    quantity: `${rru} RRU (${inputs.createReadKeys} items: ${inputs.createReadItemBytes.join(', ')} B)`,
    usdPerUnit: rru * PRICES.dynamoDbPerReadRequestUnit,
  });
  const buildWru = writeUnits(inputs.buildBytesAtCreate);
  const putWru = inputs.transactionalCreate ? 2 * buildWru : buildWru;
  const counterWru = inputs.rateCounterBytes === undefined ? 0 : writeUnits(inputs.rateCounterBytes);
  const completeWru = writeUnits(Math.max(inputs.buildBytesAtCreate, inputs.buildBytesCompleted));
  const serviceWru = writeUnits(inputs.serviceBytesAfter);
  const wru = putWru + counterWru + completeWru + serviceWru;
  lines.push({
    item: 'DynamoDB writes',
    quantity: `${wru} WRU (${inputs.transactionalCreate ? 'TransactWriteItems' : 'PutItem'} of the build ${inputs.buildBytesAtCreate} B → ${putWru}; CountBuild UpdateItem ${inputs.rateCounterBytes ?? 0} B → ${counterWru}; CompleteBuild UpdateItem ${inputs.buildBytesCompleted} B → ${completeWru}; the service's last completed runtime ${inputs.serviceBytesAfter} B → ${serviceWru})`,
    usdPerUnit: wru * PRICES.dynamoDbPerWriteRequestUnit,
  });
  lines.push(...pipeStart());
  const states = happyPathStates();
  if (workflow === 'STANDARD') {
    lines.push({
      item: 'Step Functions Standard state transitions',
      quantity: `${states.length} (${states.join(' → ')})`,
      usdPerUnit: states.length * PRICES.stepFunctionsStandardPerTransition,
    });
  } else {
    lines.push(...expressExecution(stack.buildWaitSeconds * 1000, inputs.workflowTaskMs));
  }
  lines.push(...deployedBuildEvent(inputs));
  return { workflowType: workflow, usdPerMillionBuilds: usdOf(lines) * 1e6, lines: perMillion(lines) };
}

/**
 * The least any implementation of this design pays per build: one API request, one Lambda
 * invocation at the minimum billed duration, the reads of exactly the items a create needs, one
 * write of a build that fits in 1 KB and one completing update, the crash-safe start (the pipe's
 * request and its stream read), one Express execution of exactly the configured wait at 64 MB,
 * and the least the build's one event costs (floorBuildEvent).
 */
function floorBuild(inputs: CostInputs) {
  const { stack } = inputs;
  const lines = apiAndLambda(stack.createMemoryMb, LAMBDA_MIN_BILLED_MS, stack.architecture, 'minimum billed');
  const rru = readUnits(inputs.createReadItemBytes);
  lines.push({
    item: 'DynamoDB reads of the items a create needs (eventually consistent)',
    quantity: `${rru} RRU (${inputs.createReadItemBytes.length} items under 4 KB)`,
    usdPerUnit: rru * PRICES.dynamoDbPerReadRequestUnit,
  });
  lines.push({
    item: 'DynamoDB writes',
    quantity: '2 WRU (the build ≤ 1 KB → 1; its completing update → 1)',
    usdPerUnit: 2 * PRICES.dynamoDbPerWriteRequestUnit,
  });
  lines.push(...pipeStart());
  lines.push(...expressExecution(stack.buildWaitSeconds * 1000, 0));
  lines.push(...floorBuildEvent());
  return { usdPerMillionBuilds: usdOf(lines) * 1e6, lines: perMillion(lines) };
}

/** One Status poll as deployed, and its floor: one API request, one Lambda invocation at the minimum billed duration, one eventually consistent read. */
function statusPoll(inputs: CostInputs) {
  if (inputs.statusReadItemBytes.length !== inputs.statusReadKeys) {
    throw new Error(`Status read ${inputs.statusReadKeys} keys per request; the cost model was given ${inputs.statusReadItemBytes.length} item sizes`);
  }
  const { stack } = inputs;
  const lines = apiAndLambda(stack.statusMemoryMb, Math.ceil(inputs.statusHandlerMs), stack.architecture, 'Status (measured p50)');
  const rru = readUnits(inputs.statusReadItemBytes);
  lines.push({
    item: 'DynamoDB reads (Status’s BatchGetItem, eventually consistent)',
    quantity: `${rru} RRU (${inputs.statusReadKeys} items: ${inputs.statusReadItemBytes.join(', ')} B)`,
    usdPerUnit: rru * PRICES.dynamoDbPerReadRequestUnit,
  });
  const floorLines = apiAndLambda(stack.statusMemoryMb, LAMBDA_MIN_BILLED_MS, stack.architecture, 'minimum billed');
  floorLines.push({ item: 'DynamoDB read (one item, eventually consistent)', quantity: '0.5 RRU', usdPerUnit: 0.5 * PRICES.dynamoDbPerReadRequestUnit });
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
