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
  /** Each function's memory and plain-string environment, by entry (`upload-version`, …); empty when synth failed. */
  functions: Record<string, { memoryMb: number; environment: Record<string, string> }>;
}

/**
 * Synthesizes the real stack (bundling skipped) and reads the functions' memory and
 * architecture, the state machine's type and the wait it is deployed with. Falls back to the
 * constants lib/ exports when the stack cannot be synthesized (it is being edited).
 */
export async function readStackFacts(outDir: string): Promise<StackFacts> {
  try {
    const { App } = await import('aws-cdk-lib');
    const { BuildsStack } = await import('../../lib/builds-stack');
    const { DEFAULT_SETTINGS } = await import('../../lib/stack-config');
    const app = new App({ outdir: outDir, context: { 'aws:cdk:bundling-stacks': [] } });
    new BuildsStack(app, 'BenchCost', { settings: DEFAULT_SETTINGS });
    const resources = Object.entries(
      app.synth().getStackByName('BenchCost').template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>,
    );
    const fn = (id: string) => resources.find(([logicalId, r]) => r.Type === 'AWS::Lambda::Function' && logicalId.startsWith(`${id}Function`))?.[1].Properties;
    const create = fn('CreateBuild');
    const status = fn('FetchBuildStatus');
    const machine = resources.find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')?.[1].Properties;
    if (!create || !status || !machine) throw new Error('functions or state machine not found in the template');
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
      buildWaitSeconds: Number((machine.DefinitionSubstitutions as Record<string, unknown> | undefined)?.BuildWaitSeconds ?? DEFAULT_SETTINGS.buildWaitSeconds),
      createEnvironment,
      functions,
    };
  } catch (error) {
    const stackModule = (await import('../../lib/builds-stack').catch(() => ({}))) as { FUNCTION_MEMORY_MB?: number };
    const configModule = (await import('../../lib/stack-config').catch(() => ({}))) as {
      DEFAULT_SETTINGS?: { buildWaitSeconds: number; rateLimitBuildsPerHour?: number; buildTtlHours?: number; corsAllowedOrigins?: string };
    };
    const settings = configModule.DEFAULT_SETTINGS;
    const memory = stackModule.FUNCTION_MEMORY_MB ?? 256;
    return {
      source: `exported constants (synth failed: ${(error as Error).message})`,
      createMemoryMb: memory,
      statusMemoryMb: memory,
      architecture: 'arm64',
      stateMachineType: 'STANDARD',
      buildWaitSeconds: settings?.buildWaitSeconds ?? 10,
      createEnvironment: {
        POWERTOOLS_SERVICE_NAME: 'twilio-serverless-builds',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...(settings?.buildTtlHours ? { BUILD_TTL_HOURS: String(settings.buildTtlHours) } : {}),
        ...(settings?.corsAllowedOrigins ? { CORS_ALLOWED_ORIGINS: settings.corsAllowedOrigins } : {}),
        ...(settings?.rateLimitBuildsPerHour !== undefined ? { RATE_LIMIT_BUILDS_PER_HOUR: String(settings.rateLimitBuildsPerHour) } : {}),
      },
      functions: {},
    };
  }
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
  /** Sizes in bytes of the items read by a create (account, service, versions). */
  createReadItemBytes: number[];
  buildBytesAtCreate: number;
  /** The create writes with TransactWriteItems (2 WRU per KB per item), with the hourly counter when it is set. */
  transactionalCreate: boolean;
  rateCounterBytes: number | undefined;
  buildBytesCompleted: number;
  serviceBytesBefore: number;
  serviceBytesAfter: number;
  accountBytes: number;
  /** Extra time the workflow runs beyond its wait (its DynamoDB tasks), for Express duration. */
  workflowTaskMs: number;
  /** Completion lag (p50) beyond the wait, for the poll count. */
  completionLagMs: number;
}

/** Round trip of one Status poll from a deploy tool to API Gateway (an assumption). */
export const ASSUMED_POLL_ROUND_TRIP_MS = 100;
/** @twilio-labs/serverless-api waitForSuccessfulBuild: poll, then sleep 1,000 ms, until completed. */
export const TOOLKIT_POLL_SLEEP_MS = 1000;

type Line = { item: string; quantity: string; usdPerBuild: number };

export interface Scenario {
  name: string;
  /** NONE: no workflow; a build's status is derived at read time from date_created + the wait. */
  workflow: 'STANDARD' | 'EXPRESS' | 'NONE';
  transactionalCreate: boolean;
  /** The hourly counter is written (in the transaction, or by its own UpdateItem without one). */
  rateCounter: boolean;
  /** A Status poll reads the service item too (today: account, service, build). */
  statusReadsService: boolean;
}

/** The cost of one build (create, Status polls until completed, the workflow) in one scenario. */
function costOfBuild(inputs: CostInputs, scenario: Scenario) {
  const { stack } = inputs;
  const type = scenario.workflow;
  const waitMs = stack.buildWaitSeconds * 1000;
  const polls = Math.ceil((waitMs + inputs.completionLagMs) / (TOOLKIT_POLL_SLEEP_MS + ASSUMED_POLL_ROUND_TRIP_MS)) + 1;
  const requests = 1 + polls;
  const lines: Line[] = [];
  lines.push({
    item: 'API Gateway HTTP API requests',
    quantity: `${requests} (1 create + ${polls} Status polls)`,
    usdPerBuild: requests * PRICES.httpApiPerRequest,
  });
  lines.push({ item: 'Lambda requests', quantity: `${requests}`, usdPerBuild: requests * PRICES.lambdaPerRequest });
  const gbSeconds =
    (stack.createMemoryMb / 1024) * (Math.ceil(inputs.createHandlerMs) / 1000) +
    polls * (stack.statusMemoryMb / 1024) * (Math.ceil(inputs.statusHandlerMs) / 1000);
  lines.push({
    item: `Lambda duration (${stack.architecture})`,
    quantity: `${gbSeconds.toFixed(5)} GB-s (create ${Math.ceil(inputs.createHandlerMs)} ms @ ${stack.createMemoryMb} MB, Status ${Math.ceil(inputs.statusHandlerMs)} ms @ ${stack.statusMemoryMb} MB)`,
    usdPerBuild: gbSeconds * PRICES.lambdaArmPerGbSecond,
  });
  const createRru = inputs.createReadItemBytes.reduce((sum, bytes) => sum + eventuallyConsistentReadUnits(bytes), 0);
  const pollRru =
    eventuallyConsistentReadUnits(inputs.accountBytes) +
    (scenario.statusReadsService ? eventuallyConsistentReadUnits(Math.max(inputs.serviceBytesBefore, inputs.serviceBytesAfter)) : 0) +
    eventuallyConsistentReadUnits(Math.max(inputs.buildBytesAtCreate, inputs.buildBytesCompleted));
  const counterRead =
    scenario.rateCounter && !scenario.transactionalCreate && inputs.rateCounterBytes !== undefined ? eventuallyConsistentReadUnits(inputs.rateCounterBytes) : 0;
  const rru = createRru + counterRead + polls * pollRru;
  lines.push({
    item: 'DynamoDB reads (BatchGetItem, eventually consistent)',
    quantity: `${rru} RRU (create ${createRru + counterRead}: ${inputs.createReadItemBytes.length + (counterRead ? 1 : 0)} items; ${polls} polls × ${pollRru}: account, ${scenario.statusReadsService ? 'service, ' : ''}build)`,
    usdPerBuild: rru * PRICES.dynamoDbPerReadRequestUnit,
  });
  const counterWru = scenario.rateCounter && inputs.rateCounterBytes !== undefined ? writeUnits(inputs.rateCounterBytes) : 0;
  const buildWru = writeUnits(inputs.buildBytesAtCreate);
  const putWru = scenario.transactionalCreate ? 2 * (buildWru + counterWru) : buildWru + counterWru;
  const putText = scenario.transactionalCreate
    ? `TransactWriteItems 2 × (build ${inputs.buildBytesAtCreate} B → ${buildWru}${counterWru ? ` + counter ${inputs.rateCounterBytes} B → ${counterWru}` : ''}) = ${putWru}`
    : `PutItem ${inputs.buildBytesAtCreate} B → ${buildWru}${counterWru ? ` + counter UpdateItem → ${counterWru}` : ''}`;
  const completeWru = type === 'NONE' ? 0 : writeUnits(Math.max(inputs.buildBytesAtCreate, inputs.buildBytesCompleted));
  const serviceWru = type === 'NONE' ? 0 : writeUnits(Math.max(inputs.serviceBytesBefore, inputs.serviceBytesAfter));
  const wru = putWru + completeWru + serviceWru;
  lines.push({
    item: 'DynamoDB writes',
    quantity: `${wru} WRU (${putText}${type === 'NONE' ? '; no workflow writes' : `; CompleteBuild ${inputs.buildBytesCompleted} B → ${completeWru}; service ${inputs.serviceBytesAfter} B → ${serviceWru}`})`,
    usdPerBuild: wru * PRICES.dynamoDbPerWriteRequestUnit,
  });
  const states = happyPathStates();
  if (type === 'STANDARD') {
    lines.push({
      item: 'Step Functions Standard state transitions',
      quantity: `${states.length} (${states.join(' → ')})`,
      usdPerBuild: states.length * PRICES.stepFunctionsStandardPerTransition,
    });
  } else if (type === 'EXPRESS') {
    const increment = PRICES.stepFunctionsExpressBillingIncrementMs;
    const billedMs = Math.ceil((waitMs + inputs.workflowTaskMs) / increment) * increment;
    const gbSecondsExpress = (PRICES.stepFunctionsExpressMinimumMb / 1024) * (billedMs / 1000);
    lines.push({ item: 'Step Functions Express requests', quantity: '1', usdPerBuild: PRICES.stepFunctionsExpressPerRequest });
    lines.push({
      item: 'Step Functions Express duration',
      quantity: `${billedMs} ms × ${PRICES.stepFunctionsExpressMinimumMb} MB = ${gbSecondsExpress.toFixed(4)} GB-s`,
      usdPerBuild: gbSecondsExpress * PRICES.stepFunctionsExpressPerGbSecond,
    });
  }
  const usdPerBuild = lines.reduce((sum, line) => sum + line.usdPerBuild, 0);
  return {
    scenario: scenario.name,
    workflowType: type,
    usdPerMillionBuilds: usdPerBuild * 1e6,
    lines: lines.map((line) => ({ ...line, usdPerMillionBuilds: line.usdPerBuild * 1e6 })),
    polls,
  };
}

export function computeCost(inputs: CostInputs) {
  const rateCounter = inputs.rateCounterBytes !== undefined;
  const base: Scenario = {
    name: `as deployed (${inputs.stack.stateMachineType})`,
    workflow: inputs.stack.stateMachineType,
    transactionalCreate: inputs.transactionalCreate,
    rateCounter,
    statusReadsService: true,
  };
  const otherType = inputs.stack.stateMachineType === 'STANDARD' ? 'EXPRESS' : 'STANDARD';
  const deployed = costOfBuild(inputs, base);
  const other = costOfBuild(inputs, { ...base, name: `${otherType} workflow instead`, workflow: otherType });
  // What-ifs, each on top of the previous one.
  const noWorkflow: Scenario = { ...base, name: 'no workflow: status derived at read time (date_created + wait)', workflow: 'NONE' };
  const noTransaction: Scenario = {
    ...noWorkflow,
    name: '+ no transaction: PutItem, counter read in the BatchGetItem and updated on its own',
    transactionalCreate: false,
  };
  const leanStatus: Scenario = { ...noTransaction, name: '+ Status reads account + build only (the build names its service)', statusReadsService: false };
  const whatIf = [noWorkflow, noTransaction, leanStatus].map((scenario) => {
    const result = costOfBuild(inputs, scenario);
    return { scenario: scenario.name, usdPerMillionBuilds: result.usdPerMillionBuilds, polls: result.polls, lines: result.lines };
  });
  // Sensitivity: Status polls follow the wait (one a second), and each costs an API Gateway and a
  // Lambda request; the deployed workflow at a 2 s wait, and the leanest variant at a 2 s wait.
  for (const scenario of [base, leanStatus]) {
    const shortWait = { ...inputs, stack: { ...inputs.stack, buildWaitSeconds: 2 } };
    const result = costOfBuild(shortWait, scenario);
    whatIf.push({
      scenario: `${scenario === base ? 'as deployed' : 'leanest above'}, buildWaitSeconds 2 instead of ${inputs.stack.buildWaitSeconds}`,
      usdPerMillionBuilds: result.usdPerMillionBuilds,
      polls: result.polls,
      lines: result.lines,
    });
  }
  return {
    region: REGION,
    pricesAsOf: PRICES_AS_OF,
    prices: PRICES,
    stack: inputs.stack,
    assumptions: {
      statusPollsPerBuild: `${deployed.polls}: @twilio-labs/serverless-api polls Status, sleeps ${TOOLKIT_POLL_SLEEP_MS} ms, repeats until completed; wait ${inputs.stack.buildWaitSeconds} s + measured completion lag ${Math.round(inputs.completionLagMs)} ms, ${ASSUMED_POLL_ROUND_TRIP_MS} ms assumed per poll round trip`,
      handlerDurations: `in-process p50 against DynamoDB Local on this machine: create ${inputs.createHandlerMs.toFixed(2)} ms, Status ${inputs.statusHandlerMs.toFixed(2)} ms, billed rounded up to 1 ms`,
      happyPathStates: happyPathStates(),
      itemSizes: 'measured from the items in DynamoDB Local, DynamoDB size rules; BatchGetItem items rounded up to 4 KB each, eventually consistent',
      notIncluded:
        'CloudWatch Logs ingestion ($0.50/GB: Lambda START/END/REPORT lines, API access logs, Step Functions logs at level ALL), X-Ray traces (active tracing, sampled), KMS (AWS managed key, DynamoDB caches data keys), DynamoDB storage (items expire after 24 h) and PITR, data transfer, free tiers',
    },
    deployed,
    other,
    whatIf,
  };
}
