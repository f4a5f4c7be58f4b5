import { readFileSync } from 'node:fs';
import { ArnFormat, type CfnElement, Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IRuleTarget, Rule } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { FilterPattern, LogGroup, type MetricFilter, ResourcePolicy, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  BUILD_EVENT_SOURCE,
  BUILD_EVENTS_BATCH_SIZE,
  BUILD_EVENTS_DEFINITION_FILE,
  BUILD_EVENTS_FILTERS,
  BUILD_EVENTS_INPUT_TEMPLATE,
  BUILD_EVENTS_RETRY_ATTEMPTS,
  type BuildEventsSubstitutions,
  eventBusName,
} from './build-events';

/** The CloudWatch namespace of the metrics the archive's metric filters publish (the functions' metrics share it). */
export const BUILD_EVENTS_METRIC_NAMESPACE = 'TwilioServerless';

export interface BuildEventsProps {
  /** The Builds table, with its stream (lib/table-stream.ts). */
  table: TableV2;
  stage: string;
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
}

/**
 * Build events on EventBridge (lib/build-events.ts): a bus, an EventBridge Pipe from the table's
 * stream through the shared filters and template to the Express events workflow
 * (lib/build-events.asl.json, invoked synchronously so that a failed put is retried and then
 * dead-lettered), and an archive: a log group receiving every event on the bus, with metric
 * filters counting completed and failed builds.
 */
export class BuildEvents extends Construct {
  readonly bus: EventBus;
  readonly workflow: StateMachine;
  readonly pipe: CfnPipe;
  /** Stream records whose events could not be put after the pipe's retries. */
  readonly deadLetterQueue: Queue;
  /** Every event on the bus, as EventBridge delivers it (JSON), kept for `logRetention`. */
  readonly archive: LogGroup;
  readonly archiveRule: Rule;
  private readonly completedFilter: MetricFilter;
  private readonly failedFilter: MetricFilter;

  constructor(scope: Construct, id: string, props: BuildEventsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Unique to this stack instance: a log group retained from a deleted stack cannot collide with a new one.
    const instance = Fn.select(2, Fn.split('/', stack.stackId));

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: eventBusName(props.stage),
      description: 'Build Completed, Build Failed and Deployment Created events',
    });
    this.archive = new LogGroup(this, 'Archive', {
      // EventBridge writes to log groups under /aws/events/.
      logGroupName: `/aws/events/${stack.stackName}-BuildEvents-${instance}`,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.archiveRule = this.archiveEveryEvent();
    this.completedFilter = this.countBuilds('BuildsCompleted', 'completed');
    this.failedFilter = this.countBuilds('BuildsFailed', 'failed');
    this.workflow = this.eventsWorkflow(props, instance);
    [this.pipe, this.deadLetterQueue] = this.eventsPipe(props.table);
  }

  /** Builds that ended `completed`, from the archive (Sum per period; no data when none ended). */
  metricBuildsCompleted(props?: MetricOptions): Metric {
    return this.completedFilter.metric({ statistic: 'Sum', ...props });
  }

  /** Builds that ended `failed` (a retired runtime, or a workflow that gave up), from the archive. */
  metricBuildsFailed(props?: MetricOptions): Metric {
    return this.failedFilter.metric({ statistic: 'Sum', ...props });
  }

  /**
   * A rule on the bus matching every event of this account (the bus has no policy letting any
   * other account put), delivered whole to the archive. The log group's resource policy lets
   * EventBridge write to this log group for this rule only; it is a native CloudFormation
   * resource, not the custom resource (a Lambda function) that aws-events-targets' CloudWatchLogGroup adds.
   */
  private archiveEveryEvent(): Rule {
    const stack = Stack.of(this);
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: this.archive.logGroupName,
    });
    const target: IRuleTarget = { bind: () => ({ arn: logGroupArn }) };
    const rule = new Rule(this, 'ArchiveRule', {
      eventBus: this.bus,
      description: 'Every event on the bus, into the archive log group',
      eventPattern: { account: [stack.account] },
      targets: [target],
    });
    new ResourcePolicy(this, 'ArchivePolicy', {
      policyStatements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          principals: [new ServicePrincipal('events.amazonaws.com'), new ServicePrincipal('delivery.logs.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.archive.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      ],
    });
    return rule;
  }

  /** A metric filter counting the archive's build events of one final status (only build events have `detail.status`). */
  private countBuilds(metricName: string, status: 'completed' | 'failed'): MetricFilter {
    return this.archive.addMetricFilter(metricName, {
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.source', '=', BUILD_EVENT_SOURCE),
        FilterPattern.stringValue('$.detail.status', '=', status),
      ),
      metricNamespace: BUILD_EVENTS_METRIC_NAMESPACE,
      metricName,
      metricValue: '1',
    });
  }

  /**
   * The events workflow from the one shared ASL file, inline (as the build workflow is: `cdk
   * diff` shows its changes). EXPRESS: a few states per event, synchronous for the pipe. Its role
   * may read this table's items and put events on this bus, nothing else.
   */
  private eventsWorkflow(props: BuildEventsProps, instance: string): StateMachine {
    const substitutions: BuildEventsSubstitutions = {
      TableName: props.table.tableName,
      EventBusName: this.bus.eventBusName,
      EventSource: BUILD_EVENT_SOURCE,
    };
    const workflow = new StateMachine(this, 'Workflow', {
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromString(readFileSync(BUILD_EVENTS_DEFINITION_FILE, 'utf8')),
      definitionSubstitutions: { ...substitutions },
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, 'WorkflowLogs', {
          logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-BuildEvents-${instance}`,
          retention: props.logRetention,
          removalPolicy: props.removalPolicy,
        }),
        // A failed execution is logged (the pipe retries it); the events themselves are in the archive.
        level: LogLevel.ERROR,
        includeExecutionData: false,
      },
    });
    // The definition's Task resources: dynamodb:getItem on the table, events:putEvents on the bus.
    workflow.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:GetItem'], resources: [props.table.tableArn] }));
    workflow.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }));
    Validations.of(workflow.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:*LogDelivery*, PutResourcePolicy, Describe*) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) actions support no resource-level permissions.',
    });
    Validations.of(workflow).acknowledge({
      id: 'AwsSolutions-SF1',
      reason: 'Logs at ERROR: a failed execution is logged and retried by the pipe; every event put is in the archive log group, so ALL would log each twice.',
    });
    return workflow;
  }

  /**
   * The pipe: the table's stream through BUILD_EVENTS_FILTERS and BUILD_EVENTS_INPUT_TEMPLATE
   * to the events workflow, synchronously (REQUEST_RESPONSE: a failed execution fails the
   * record), retried BUILD_EVENTS_RETRY_ATTEMPTS times, then to the dead-letter queue. Its role
   * may read this table's stream, start this workflow synchronously and send to its queue.
   */
  private eventsPipe(table: TableV2): [CfnPipe, Queue] {
    const deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the build events pipe.' });
    const stack = Stack.of(this);
    const role = new Role(this, 'PipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: 'Puts the build events of the table stream onto the event bus',
    });
    const streamArn = table.tableStreamArn!;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:ListStreams'], resources: [`${table.tableArn}/stream/*`] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:StartSyncExecution'], resources: [this.workflow.stateMachineArn] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [deadLetters.queueArn] }));
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(table.node.defaultChild as CfnElement)}.Arn>/stream/*]`,
      reason: "dynamodb:ListStreams takes the table's stream/* pattern: the stream's label is minted by DynamoDB when the stream is enabled.",
    });
    const pipe = new CfnPipe(this, 'Pipe', {
      description: 'Puts an event on the bus when a build ends and when a deployment is created',
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // From the oldest record kept: records written while the pipe is (re)created are not skipped.
          startingPosition: 'TRIM_HORIZON',
          batchSize: BUILD_EVENTS_BATCH_SIZE,
          maximumRetryAttempts: BUILD_EVENTS_RETRY_ATTEMPTS,
          deadLetterConfig: { arn: deadLetters.queueArn },
        },
        filterCriteria: { filters: BUILD_EVENTS_FILTERS.map((filter) => ({ pattern: JSON.stringify(filter) })) },
      },
      target: this.workflow.stateMachineArn,
      targetParameters: {
        inputTemplate: BUILD_EVENTS_INPUT_TEMPLATE,
        stepFunctionStateMachineParameters: { invocationType: 'REQUEST_RESPONSE' },
      },
    });
    // A pipe checks its role's permissions when it is created: its policy first. (The role itself
    // comes first anyway: the pipe names it by GetAtt; a DependsOn on it is redundant, cfn-lint W3005.)
    pipe.node.addDependency(role.node.findChild('DefaultPolicy'));
    return [pipe, deadLetters];
  }
}
