import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type BusinessMetric, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../lambda/metric-catalogue';
import { pascalCase } from './construct-names';

/** An EventBridge Pipe to watch, and the dead-letter queue of the records it gave up on, if any. */
export interface WatchedPipe {
  /** Names the pipe's alarms (`<id>ExecutionFailed`, …). */
  id: string;
  pipe: CfnPipe;
  deadLetterQueue?: IQueue;
}

export interface OperationsProps {
  api: IHttpApi;
  /** The API's functions by name (lambda/routes.ts entries): an Errors and a Throttles alarm each. */
  functions: Record<string, IFunction>;
  stateMachine: IStateMachine;
  table: ITableV2;
  pipes: WatchedPipe[];
  /**
   * Builds completed and failed. They happen in the workflow, not in a function, so they are
   * not business metrics of the handlers: the stack that counts them (metric filters on the
   * build events) passes them in. Without them the dashboard shows builds created only.
   */
  buildOutcomes?: { completed: IMetric; failed: IMetric };
  /** The value of the business metrics' `service` dimension (POWERTOOLS_SERVICE_NAME). */
  serviceName: string;
  /** An address subscribed to the alarm topic (CDK context `alarmEmail`); unset: none. */
  alarmEmail?: string;
  removalPolicy: RemovalPolicy;
}

const FIVE_MINUTES = Duration.minutes(5);
const FIFTEEN_MINUTES = Duration.minutes(15);

/**
 * The operations the handlers' tables use, as DynamoDB names them in the `Operation` dimension
 * of ThrottledRequests and SystemErrors (a TransactWriteItems is its own operation there, while
 * IAM authorizes it as PutItem). The workflow's tasks are UpdateItems.
 */
const TABLE_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** Any metric under a label of ours (an IMetric, unlike a Metric, has no `with`); the label is its id. */
const labelled = (metric: IMetric, label: string): MathExpression =>
  new MathExpression({ expression: label, usingMetrics: { [label]: metric }, label, period: FIVE_MINUTES });

interface AlarmSpec {
  metric: IMetric;
  /** Alarms at or above this value. */
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  /** What it means and why this threshold: shown in the alarm and in its notification. */
  description: string;
}

/**
 * What an operator needs to run the API: an SNS topic for alarms (optionally mailed), the
 * alarms, and one dashboard. Every alarm notifies the topic when it fires and when it recovers;
 * missing data never alarms (no requests, no builds, no failures: nothing to report).
 * docs/operations.md, "Alarms and dashboard", lists each alarm and its threshold.
 */
export class Operations extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    this.alarmTopic = this.topic(props);
    this.action = new SnsAction(this.alarmTopic);

    const serverErrorRate = new MathExpression({
      // FILL: a period with requests but no 5xx datapoint is 0 %, not missing.
      expression: 'IF(requests > 0, 100 * FILL(serverErrors, 0) / requests, 0)',
      usingMetrics: {
        serverErrors: props.api.metricServerError({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        requests: props.api.metricCount({ statistic: Stats.SUM, period: FIVE_MINUTES }),
      },
      period: FIVE_MINUTES,
      label: '5xx (% of requests)',
    });
    this.alarm('Api5xxRate', {
      metric: serverErrorRate,
      threshold: 5,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description:
        'The API answered 5xx to at least 5 % of its requests in 2 of the last 3 five-minute periods: the handlers answer 500 only for failures they did not expect (the logs have the request id).',
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${pascalCase(name)}Errors`, {
        metric: fn.metricErrors({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        description: `The ${name} function failed an invocation in the last 5 minutes. Handlers turn errors into Twilio responses, so an invocation error is a crash, a timeout or a failed init (configuration): each one is a bug.`,
      });
      this.alarm(`${pascalCase(name)}Throttles`, {
        metric: fn.metricThrottles({ statistic: Stats.SUM, period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        description: `Lambda throttled the ${name} function in the last 5 minutes: the account's concurrency is used up and callers get 5xx.`,
      });
    }

    this.alarm('WorkflowExecutionsFailed', {
      metric: props.stateMachine.metricFailed({ statistic: Stats.SUM, period: FIFTEEN_MINUTES }),
      threshold: 5,
      evaluationPeriods: 1,
      description:
        'At least 5 build workflow executions failed in 15 minutes. A build on a retired runtime also ends in a Fail state (Twilio error 82007), so a single failure can be a caller’s choice; 5 is a pattern (a build whose status updates kept failing ends `failed` too: see the workflow’s error logs).',
    });
    this.alarm('WorkflowExecutionsTimedOut', {
      metric: props.stateMachine.metricTimedOut({ statistic: Stats.SUM, period: FIVE_MINUTES }),
      threshold: 1,
      evaluationPeriods: 1,
      description: 'A build workflow execution reached its timeout in the last 5 minutes: its build stays `building` until its TTL.',
    });

    this.alarm('TableThrottledRequests', {
      metric: this.tableOperationsSum(props.table, 'ThrottledRequests', 'Throttled requests (all operations)'),
      threshold: 10,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description:
        'DynamoDB throttled at least 10 requests in 2 of the last 3 five-minute periods. The SDK retries throttled requests, so a few are latency; a steady stream is a hot partition or a traffic jump beyond on-demand’s headroom.',
    });
    this.alarm('TableSystemErrors', {
      metric: this.tableOperationsSum(props.table, 'SystemErrors', 'System errors (all operations)'),
      threshold: 5,
      evaluationPeriods: 1,
      description:
        'DynamoDB answered at least 5 requests with a 500 (system error) in the last 5 minutes: retried by the SDK, but a sign of a service problem.',
    });

    for (const watched of props.pipes) this.pipeAlarms(watched);

    this.dashboard = this.dashboardOf(props);
  }

  /** The alarm topic: encrypted with a key CloudWatch may use, TLS only, published to only by this account's alarms. */
  private topic(props: OperationsProps): Topic {
    // SNS's AWS managed key (alias/aws/sns) does not let CloudWatch encrypt, so alarms could not
    // publish: a key of our own, rotated, that CloudWatch may use for this account's alarms.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic of the Twilio-compatible Serverless Builds API',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    const fromAlarms = { StringEquals: { 'aws:SourceAccount': key.stack.account } };
    key.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromAlarms,
      }),
    );
    const topic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true, displayName: 'Twilio Serverless Builds alarms' });
    // The topic's own policy replaces SNS's default one: CloudWatch alarms must be allowed to publish.
    topic.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromAlarms,
      }),
    );
    if (props.alarmEmail) topic.addSubscription(new EmailSubscription(props.alarmEmail));
    return topic;
  }

  private alarm(id: string, spec: AlarmSpec): Alarm {
    const alarm = new Alarm(this, id, {
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: spec.description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }

  /** A DynamoDB per-operation metric summed over TABLE_OPERATIONS; an operation without data counts 0. */
  private tableOperationsSum(table: ITableV2, metricName: 'ThrottledRequests' | 'SystemErrors', label: string): MathExpression {
    const usingMetrics: Record<string, IMetric> = {};
    for (const operation of TABLE_OPERATIONS) {
      // Ids unique across metric names: one graph shows both sums.
      usingMetrics[`${metricName}${operation}`.toLowerCase()] = new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: table.tableName, Operation: operation },
        statistic: Stats.SUM,
        period: FIVE_MINUTES,
      });
    }
    return new MathExpression({
      expression: Object.keys(usingMetrics)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics,
      period: FIVE_MINUTES,
      label,
    });
  }

  /** A pipe's metric (AWS/EventBridge/Pipes, by PipeName: the pipe's Ref). */
  private static pipeMetric(pipe: CfnPipe, metricName: string): Metric {
    return new Metric({
      namespace: 'AWS/EventBridge/Pipes',
      metricName,
      dimensionsMap: { PipeName: pipe.ref },
      statistic: Stats.SUM,
      period: FIVE_MINUTES,
    });
  }

  private pipeAlarms({ id, pipe, deadLetterQueue }: WatchedPipe): void {
    this.alarm(`${id}ExecutionFailed`, {
      metric: Operations.pipeMetric(pipe, 'ExecutionFailed'),
      threshold: 1,
      evaluationPeriods: 1,
      description: `The ${id} pipe gave up on a record in the last 5 minutes (retries exhausted: the record went to its dead-letter queue, if it has one).`,
    });
    this.alarm(`${id}TargetStageFailed`, {
      metric: Operations.pipeMetric(pipe, 'TargetStageFailed'),
      threshold: 5,
      evaluationPeriods: 1,
      description: `The ${id} pipe's target refused at least 5 deliveries in the last 5 minutes (each is retried; a burst this size is a target that is down or misconfigured).`,
    });
    this.alarm(`${id}ExecutionThrottled`, {
      metric: Operations.pipeMetric(pipe, 'ExecutionThrottled'),
      threshold: 1,
      evaluationPeriods: 3,
      description: `The ${id} pipe was throttled in each of the last 3 five-minute periods: records wait longer and longer.`,
    });
    if (deadLetterQueue) {
      this.alarm(`${id}DeadLetters`, {
        metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES }),
        threshold: 1,
        evaluationPeriods: 1,
        description: `The ${id} pipe's dead-letter queue holds a record: a record the pipe could not deliver (for the build pipe, a build that stays building until its TTL). Read it, fix the cause, then redrive or delete it.`,
      });
    }
  }

  private businessMetric(props: OperationsProps, name: BusinessMetric, label: string): Metric {
    return new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensionsMap: { [SERVICE_DIMENSION]: props.serviceName },
      statistic: Stats.SUM,
      period: FIVE_MINUTES,
      label,
    });
  }

  private dashboardOf(props: OperationsProps): Dashboard {
    const sum = { statistic: Stats.SUM, period: FIVE_MINUTES };
    const functions = Object.entries(props.functions);
    const builds = [
      this.businessMetric(props, 'BuildsCreated', 'created'),
      ...(props.buildOutcomes ? [labelled(props.buildOutcomes.completed, 'completed'), labelled(props.buildOutcomes.failed, 'failed')] : []),
    ];
    const dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(
      new GraphWidget({ title: 'Requests', left: [props.api.metricCount({ ...sum, label: 'requests' })], width: 8 }),
      new GraphWidget({
        title: '4xx and 5xx',
        left: [props.api.metricClientError({ ...sum, label: '4xx' }), props.api.metricServerError({ ...sum, label: '5xx' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'Latency (ms)',
        left: [Stats.p(50), Stats.p(90), Stats.p(99)].map((statistic) => props.api.metricLatency({ statistic, period: FIVE_MINUTES, label: statistic })),
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Builds', left: builds, width: 8 }),
      new GraphWidget({
        title: 'Uploads and deployments',
        left: [this.businessMetric(props, 'Uploads', 'uploads'), this.businessMetric(props, 'Deployments', 'deployments')],
        right: [this.businessMetric(props, 'UploadBytes', 'upload bytes')],
        width: 8,
      }),
      new GraphWidget({
        title: 'Create Build: replays and rate-limited',
        left: [this.businessMetric(props, 'IdempotentReplays', 'idempotent replays'), this.businessMetric(props, 'RateLimitedCreates', 'rate-limited (429)')],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({ title: 'Function errors', left: functions.map(([name, fn]) => fn.metricErrors({ ...sum, label: name })), width: 6 }),
      new GraphWidget({ title: 'Function throttles', left: functions.map(([name, fn]) => fn.metricThrottles({ ...sum, label: name })), width: 6 }),
      new GraphWidget({
        title: 'Workflow',
        left: [
          props.stateMachine.metricFailed({ ...sum, label: 'failed' }),
          props.stateMachine.metricTimedOut({ ...sum, label: 'timed out' }),
          props.stateMachine.metricStarted({ ...sum, label: 'started' }),
        ],
        width: 6,
      }),
      new GraphWidget({
        title: 'DynamoDB',
        left: [
          this.tableOperationsSum(props.table, 'ThrottledRequests', 'throttled requests'),
          this.tableOperationsSum(props.table, 'SystemErrors', 'system errors'),
        ],
        width: 6,
      }),
    );
    dashboard.addWidgets(
      new GraphWidget({
        title: 'Pipes',
        left: props.pipes.flatMap(({ id, pipe }) =>
          ['ExecutionFailed', 'TargetStageFailed', 'ExecutionThrottled'].map((name) => Operations.pipeMetric(pipe, name).with({ label: `${id} ${name}` })),
        ),
        right: props.pipes.flatMap(({ id, deadLetterQueue }) =>
          deadLetterQueue
            ? [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES, label: `${id} dead letters` })]
            : [],
        ),
        width: 12,
      }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12 }),
    );
    return dashboard;
  }
}
