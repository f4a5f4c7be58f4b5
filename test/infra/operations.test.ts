import { type CfnElement, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { describe, expect, it } from 'vitest';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { BuildsStack } from '../../lib/builds-stack';
import { Operations } from '../../lib/operations';
import { settingsFromContext } from '../../lib/stack-config';
import { testApp } from '../support/cdk';

type Json = Record<string, any>;

/** Every function: one per distinct entry of ROUTES, plus the fallback. */
const ENTRIES = [...new Set<string>(ROUTES.map((route) => route.entry)), FALLBACK_ENTRY];
const pascalCase = (name: string): string => name.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());

/** The stack without bundling; `extend` may add constructs before the template is read. */
function synth(context: Record<string, unknown> = {}, extend?: (stack: BuildsStack) => void) {
  const app = testApp(context);
  const stack = new BuildsStack(app, 'TwilioServerlessBuilds', { settings: settingsFromContext(app) });
  extend?.(stack);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Json>;
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const alarmOf = (name: string, operations = stack.operations) => {
    const alarm = operations.node.findChild(name) as unknown as { node: { defaultChild?: unknown } };
    return resources[id(alarm)]!.Properties as Json;
  };
  return { stack, template, resources, id, alarmOf };
}

const s = synth();
const topicRef = () => ({ Ref: s.id(s.stack.operations.alarmTopic) });

/** The properties every alarm shares: ≥ threshold, missing data is not breaching, topic notified on alarm and on recovery. */
function expectAlarm(alarm: Json, expected: { threshold: number; evaluationPeriods: number; datapointsToAlarm?: number }) {
  expect(alarm).toMatchObject({
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: expected.threshold,
    EvaluationPeriods: expected.evaluationPeriods,
    TreatMissingData: 'notBreaching',
    AlarmActions: [topicRef()],
    OKActions: [topicRef()],
  });
  expect(alarm.DatapointsToAlarm).toBe(expected.datapointsToAlarm);
  expect(alarm.AlarmDescription).toEqual(expect.any(String));
}

/** A single-metric alarm's metric. */
function expectMetric(alarm: Json, metric: { namespace: string; name: string; dimensions: Json[]; statistic: string; period: number }) {
  expect(alarm).toMatchObject({ Namespace: metric.namespace, MetricName: metric.name, Statistic: metric.statistic, Period: metric.period });
  expect(alarm.Dimensions).toEqual(metric.dimensions);
}

/** A math alarm's metrics by id (the expression's own entry under `expression`). */
function mathOf(alarm: Json): { expression: string; metrics: Record<string, Json> } {
  const entries = alarm.Metrics as Json[];
  const [expression, ...more] = entries.filter((entry) => entry.Expression);
  expect(more).toEqual([]);
  expect(expression!.ReturnData).not.toBe(false);
  const metrics = Object.fromEntries(entries.filter((entry) => entry.MetricStat).map((entry) => [entry.Id, entry]));
  for (const metric of Object.values(metrics) as Json[]) expect(metric.ReturnData).toBe(false);
  return { expression: expression!.Expression, metrics };
}

describe('alarms', () => {
  it('API 5xx rate: 100 × 5xx / Count of the HTTP API, ≥ 5 % in 2 of 3 five-minute periods', () => {
    const alarm = s.alarmOf('Api5xxRate');
    expectAlarm(alarm, { threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 2 });
    const { expression, metrics } = mathOf(alarm);
    expect(expression).toBe('IF(requests > 0, 100 * FILL(serverErrors, 0) / requests, 0)');
    const apiDimension = [{ Name: 'ApiId', Value: { Ref: s.id(s.stack.api) } }];
    expect(metrics.serverErrors!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: apiDimension },
      Period: 300,
      Stat: 'Sum',
    });
    expect(metrics.requests!.MetricStat).toEqual({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: apiDimension },
      Period: 300,
      Stat: 'Sum',
    });
  });

  it.each(ENTRIES)('function %s: Errors ≥ 1 and Throttles ≥ 1 in five minutes', (entry) => {
    const dimensions = [{ Name: 'FunctionName', Value: { Ref: s.id(s.stack.functions[entry]!) } }];
    for (const metric of ['Errors', 'Throttles']) {
      const alarm = s.alarmOf(`${pascalCase(entry)}${metric}`);
      expectAlarm(alarm, { threshold: 1, evaluationPeriods: 1 });
      expectMetric(alarm, { namespace: 'AWS/Lambda', name: metric, dimensions, statistic: 'Sum', period: 300 });
    }
  });

  it('workflow: ExecutionsFailed ≥ 5 in 15 minutes, ExecutionsTimedOut ≥ 1 in five', () => {
    const dimensions = [{ Name: 'StateMachineArn', Value: { Ref: s.id(s.stack.stateMachine) } }];
    const failed = s.alarmOf('WorkflowExecutionsFailed');
    expectAlarm(failed, { threshold: 5, evaluationPeriods: 1 });
    expectMetric(failed, { namespace: 'AWS/States', name: 'ExecutionsFailed', dimensions, statistic: 'Sum', period: 900 });
    const timedOut = s.alarmOf('WorkflowExecutionsTimedOut');
    expectAlarm(timedOut, { threshold: 1, evaluationPeriods: 1 });
    expectMetric(timedOut, { namespace: 'AWS/States', name: 'ExecutionsTimedOut', dimensions, statistic: 'Sum', period: 300 });
  });

  it.each([
    { name: 'TableThrottledRequests', metric: 'ThrottledRequests', threshold: 10, evaluationPeriods: 3, datapointsToAlarm: 2 },
    { name: 'TableSystemErrors', metric: 'SystemErrors', threshold: 5, evaluationPeriods: 1, datapointsToAlarm: undefined },
  ])('DynamoDB: $metric summed over every operation the API uses', ({ name, metric, threshold, evaluationPeriods, datapointsToAlarm }) => {
    const alarm = s.alarmOf(name);
    expectAlarm(alarm, { threshold, evaluationPeriods, datapointsToAlarm });
    const { expression, metrics } = mathOf(alarm);
    const operations = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
    expect(Object.values(metrics).map((entry) => entry.MetricStat)).toEqual(
      operations.map((operation) => ({
        Metric: {
          Namespace: 'AWS/DynamoDB',
          MetricName: metric,
          Dimensions: [
            { Name: 'Operation', Value: operation },
            { Name: 'TableName', Value: { Ref: s.id(s.stack.table) } },
          ],
        },
        Period: 300,
        Stat: 'Sum',
      })),
    );
    // Every operation counted, a missing one as 0.
    expect(expression.split(' + ').sort()).toEqual(
      Object.keys(metrics)
        .map((metricId) => `FILL(${metricId}, 0)`)
        .sort(),
    );
  });

  it.each([
    { metric: 'ExecutionFailed', threshold: 1, evaluationPeriods: 1 },
    { metric: 'TargetStageFailed', threshold: 5, evaluationPeriods: 1 },
    { metric: 'ExecutionThrottled', threshold: 1, evaluationPeriods: 3 },
  ])('the build pipe: $metric ≥ $threshold', ({ metric, threshold, evaluationPeriods }) => {
    const alarm = s.alarmOf(`BuildPipe${metric}`);
    expectAlarm(alarm, { threshold, evaluationPeriods });
    expectMetric(alarm, {
      namespace: 'AWS/EventBridge/Pipes',
      name: metric,
      dimensions: [{ Name: 'PipeName', Value: { Ref: s.stack.getLogicalId(s.stack.pipe) } }],
      statistic: 'Sum',
      period: 300,
    });
  });

  it('the events pipe and its dead-letter queue: the same four alarms', () => {
    const { pipe, deadLetterQueue } = s.stack.buildEvents;
    for (const metric of ['ExecutionFailed', 'TargetStageFailed', 'ExecutionThrottled']) {
      expect(s.alarmOf(`EventsPipe${metric}`)).toMatchObject({ Namespace: 'AWS/EventBridge/Pipes', MetricName: metric });
      expect(s.alarmOf(`EventsPipe${metric}`).Dimensions).toEqual([{ Name: 'PipeName', Value: { Ref: s.stack.getLogicalId(pipe) } }]);
    }
    expect(s.alarmOf('EventsPipeDeadLetters').Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.id(deadLetterQueue), 'QueueName'] } }]);
  });

  it("the build pipe's dead-letter queue: a visible message (Maximum ≥ 1)", () => {
    const alarm = s.alarmOf('BuildPipeDeadLetters');
    expectAlarm(alarm, { threshold: 1, evaluationPeriods: 1 });
    expectMetric(alarm, {
      namespace: 'AWS/SQS',
      name: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.id(s.stack.pipeDeadLetters), 'QueueName'] } }],
      statistic: 'Maximum',
      period: 300,
    });
  });

  it('has exactly these alarms, each notifying the topic', () => {
    const alarms = Object.values(s.resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    // 5xx rate, two per function, two of the workflow, two of the table, four each of the build pipe and the events pipe.
    expect(alarms).toHaveLength(1 + 2 * ENTRIES.length + 2 + 2 + 4 + 4);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([topicRef()]);
  });

  it('alarms for every pipe it is given, and a pipe without a dead-letter queue has none for it', () => {
    const extended = synth({}, (stack) => {
      const pipe = new CfnPipe(stack, 'EventsPipe', {
        roleArn: 'arn:aws:iam::123456789012:role/r',
        source: 'arn:aws:sqs:us-east-1:123456789012:q',
        target: 'arn:aws:sqs:us-east-1:123456789012:t',
      });
      new Operations(stack, 'ExtendedOperations', {
        api: stack.api,
        functions: {},
        stateMachine: stack.stateMachine,
        table: stack.table,
        pipes: [{ id: 'EventsPipe', pipe }],
        serviceName: 'twilio-serverless-builds',
        removalPolicy: RemovalPolicy.DESTROY,
      });
    });
    const operations = extended.stack.node.findChild('ExtendedOperations') as Operations;
    const alarm = extended.alarmOf('EventsPipeExecutionFailed', operations);
    expect(alarm.Dimensions).toEqual([
      { Name: 'PipeName', Value: { Ref: extended.stack.getLogicalId(extended.stack.node.findChild('EventsPipe') as CfnElement) } },
    ]);
    expect(operations.node.tryFindChild('EventsPipeDeadLetters')).toBeUndefined();
    expect(operations.alarms.map((one) => one.node.id).filter((name) => name.startsWith('EventsPipe'))).toEqual([
      'EventsPipeExecutionFailed',
      'EventsPipeTargetStageFailed',
      'EventsPipeExecutionThrottled',
    ]);
  });
});

describe('the alarm topic', () => {
  const topic = () => s.resources[s.id(s.stack.operations.alarmTopic)]!.Properties as Json;
  const policy = () => Object.values(s.resources).find((resource) => resource.Type === 'AWS::SNS::TopicPolicy')!.Properties as Json;

  it('is encrypted with a rotated key of its own that CloudWatch may use for this account', () => {
    const keyId = topic().KmsMasterKeyId['Fn::GetAtt'][0] as string;
    const key = s.resources[keyId]!;
    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('refuses requests without TLS and lets this account’s alarms publish', () => {
    expect(policy().Topics).toEqual([topicRef()]);
    const statements = policy().PolicyDocument.Statement as Json[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: '*' }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sns:Publish',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Resource: topicRef(),
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  it('has no subscription without the alarmEmail context, and an e-mail subscription with it', () => {
    expect(s.template.findResources('AWS::SNS::Subscription')).toEqual({});
    const mailed = synth({ alarmEmail: 'ops@example.com' });
    const subscriptions = Object.values(mailed.template.findResources('AWS::SNS::Subscription')) as Json[];
    expect(subscriptions.map((subscription) => subscription.Properties)).toEqual([
      { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: mailed.id(mailed.stack.operations.alarmTopic) } },
    ]);
  });

  it('refuses an alarmEmail that is not an e-mail address', () => {
    expect(() => synth({ alarmEmail: 'ops at example' })).toThrow('Context "alarmEmail" must be an e-mail address, got "ops at example"');
  });
});

/** A dashboard's body, its tokens (references) replaced by a placeholder, parsed. */
function dashboardBody(synthesized: ReturnType<typeof synth>, operations: Operations): { widgets: Json[] } {
  const body = synthesized.resources[synthesized.id(operations.dashboard)]!.Properties.DashboardBody as Json;
  const parts = body['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''));
}

describe('the dashboard', () => {
  const widgets = () => dashboardBody(s, s.stack.operations).widgets;

  it('is the one dashboard of the stack', () => {
    expect(Object.keys(s.template.findResources('AWS::CloudWatch::Dashboard'))).toEqual([s.id(s.stack.operations.dashboard)]);
  });

  const titled = (title: string) => widgets().find((widget) => widget.properties.title === title)!;
  /** The metric arrays of a graph: [namespace, name, dimension name, value, …, options]. */
  const metricsOf = (title: string) => (titled(title).properties.metrics as unknown[][]).map((row) => row.filter((cell) => typeof cell === 'string'));

  it('has the request, build and error widgets, and the alarms', () => {
    expect(widgets().map((widget) => widget.properties.title)).toEqual([
      'Requests',
      '4xx and 5xx',
      'Latency (ms)',
      'Builds',
      'Uploads and deployments',
      'Create Build: replays and rate-limited',
      'Function errors',
      'Function throttles',
      'Workflow',
      'DynamoDB',
      'Pipes',
      'Alarms',
    ]);
    expect(titled('Alarms').properties.alarms).toHaveLength(s.stack.operations.alarms.length);
  });

  it('graphs the API requests, 4xx, 5xx and latency percentiles', () => {
    expect(metricsOf('Requests')).toEqual([['AWS/ApiGateway', 'Count', 'ApiId', 'TOKEN']]);
    expect(metricsOf('4xx and 5xx')).toEqual([
      ['AWS/ApiGateway', '4xx', 'ApiId', 'TOKEN'],
      ['AWS/ApiGateway', '5xx', 'ApiId', 'TOKEN'],
    ]);
    const latency = titled('Latency (ms)').properties.metrics as unknown[][];
    expect(latency.map((row) => (row.at(-1) as Json).stat)).toEqual(['p50', 'p90', 'p99']);
  });

  it('graphs the business metrics by their service dimension', () => {
    expect(metricsOf('Builds')[0]).toEqual(['TwilioServerless', 'BuildsCreated', 'service', 'twilio-serverless-builds']);
    expect(metricsOf('Uploads and deployments')).toEqual([
      ['TwilioServerless', 'Uploads', 'service', 'twilio-serverless-builds'],
      ['TwilioServerless', 'Deployments', 'service', 'twilio-serverless-builds'],
      ['TwilioServerless', 'UploadBytes', 'service', 'twilio-serverless-builds'],
    ]);
    expect(metricsOf('Create Build: replays and rate-limited')).toEqual([
      ['TwilioServerless', 'IdempotentReplays', 'service', 'twilio-serverless-builds'],
      ['TwilioServerless', 'RateLimitedCreates', 'service', 'twilio-serverless-builds'],
    ]);
  });

  it('graphs every function’s errors and throttles', () => {
    expect(metricsOf('Function errors')).toHaveLength(ENTRIES.length);
    expect(metricsOf('Function throttles')).toHaveLength(ENTRIES.length);
    expect(new Set(metricsOf('Function errors').map((row) => `${row[0]} ${row[1]}`))).toEqual(new Set(['AWS/Lambda Errors']));
  });

  it('graphs the builds completed and failed that the build events count', () => {
    expect(titled('Builds').properties.metrics).toEqual([
      ['TwilioServerless', 'BuildsCreated', 'service', 'twilio-serverless-builds', { label: 'created', stat: 'Sum' }],
      [{ label: 'completed', expression: 'completed' }],
      ['TwilioServerless', 'BuildsCompleted', { id: 'completed', stat: 'Sum', visible: false }],
      [{ label: 'failed', expression: 'failed' }],
      ['TwilioServerless', 'BuildsFailed', { id: 'failed', stat: 'Sum', visible: false }],
    ]);
  });

  it('graphs builds completed and failed when they are given', () => {
    let withOutcomes: Operations | undefined;
    const extended = synth({}, (stack) => {
      withOutcomes = new Operations(stack, 'WithOutcomes', {
        api: stack.api,
        functions: stack.functions,
        stateMachine: stack.stateMachine,
        table: stack.table,
        pipes: [],
        serviceName: 'twilio-serverless-builds',
        removalPolicy: RemovalPolicy.DESTROY,
        buildOutcomes: {
          completed: new Metric({ namespace: 'TwilioServerless/Events', metricName: 'BuildsCompleted' }),
          failed: new Metric({ namespace: 'TwilioServerless/Events', metricName: 'BuildsFailed' }),
        },
      });
    });
    const builds = dashboardBody(extended, withOutcomes!).widgets.find((widget) => widget.properties.title === 'Builds')!;
    expect(builds.properties.metrics).toEqual([
      ['TwilioServerless', 'BuildsCreated', 'service', 'twilio-serverless-builds', { label: 'created', stat: 'Sum' }],
      [{ label: 'completed', expression: 'completed' }],
      ['TwilioServerless/Events', 'BuildsCompleted', { id: 'completed', visible: false }],
      [{ label: 'failed', expression: 'failed' }],
      ['TwilioServerless/Events', 'BuildsFailed', { id: 'failed', visible: false }],
    ]);
  });
});
