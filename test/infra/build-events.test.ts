import { readFileSync } from 'node:fs';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILD_EVENTS_DEFINITION_FILE, BUILD_EVENTS_FILTERS, BUILD_EVENTS_INPUT_TEMPLATE, renderBuildEventsDefinition } from '../../lib/build-events';
import { BuildsStack } from '../../lib/builds-stack';
import { settingsFromContext } from '../../lib/stack-config';
import { testApp } from '../support/cdk';

const SLOW_HOOK_MS = 180_000;

type Json = Record<string, any>;
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const allow = (actions: string[], resource: unknown) => actions.map((action) => `${action} ${JSON.stringify(resource)}`);

let stack: BuildsStack;
let template: Template;
let resources: Record<string, Json>;
const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
beforeAll(() => {
  const app = testApp({ stage: 'staging' });
  stack = new BuildsStack(app, 'TwilioServerlessBuilds', { settings: settingsFromContext(app) });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
}, SLOW_HOOK_MS);

/** Every (action, resource) a role's attached policies allow; no managed or inline policies, no conditions, no wildcard actions. */
function permissionsOf(roleLogicalId: string): string[] {
  const role = resources[roleLogicalId]!;
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  expect(role.Properties.Policies).toBeUndefined();
  const pairs: string[] = [];
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    if (!JSON.stringify(policy.Properties.Roles).includes(`"${roleLogicalId}"`)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
      expect(statement).toMatchObject({ Effect: 'Allow' });
      expect(statement.Condition).toBeUndefined();
      for (const action of [statement.Action].flat() as string[]) {
        expect(action).not.toContain('*');
        for (const resource of [statement.Resource].flat()) pairs.push(`${action} ${JSON.stringify(resource)}`);
      }
    }
  }
  return pairs.sort();
}

describe('build events', () => {
  const busId = () => id(stack.buildEvents.bus);
  const archiveId = () => id(stack.buildEvents.archive);

  it('has one custom bus, named after the stage, and outputs its name', () => {
    expect(ofType('AWS::Events::EventBus')).toHaveLength(1);
    expect(resources[busId()]!.Properties.Name).toBe('twilio-serverless-staging');
    expect(template.toJSON().Outputs.EventBusName.Value).toEqual({ Ref: busId() });
  });

  describe('archive', () => {
    it('is a log group under /aws/events/ kept for 30 days', () => {
      const archive = resources[archiveId()]!.Properties;
      expect(archive.RetentionInDays).toBe(30);
      expect(JSON.stringify(archive.LogGroupName)).toContain('/aws/events/');
    });

    it('receives every event of the bus through one rule whose only target is the archive', () => {
      const rules = ofType('AWS::Events::Rule');
      expect(rules).toHaveLength(1);
      const rule = rules[0]![1].Properties;
      expect(rule.EventBusName).toEqual({ Ref: busId() });
      expect(rule.EventPattern).toEqual({ account: [{ Ref: 'AWS::AccountId' }] });
      expect(rule.State).toBe('ENABLED');
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Input ?? rule.Targets[0].InputTransformer ?? rule.Targets[0].InputPath).toBeUndefined();
      expect(rule.Targets[0].Arn).toEqual({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: archiveId() }],
        ],
      });
    });

    it('lets EventBridge write to the archive for that rule only, with a native resource policy (no custom resource)', () => {
      expect(ofType('AWS::Lambda::Function').filter(([logicalId]) => !Object.values(stack.functions).some((fn) => id(fn) === logicalId))).toEqual([]);
      const policies = ofType('AWS::Logs::ResourcePolicy');
      expect(policies).toHaveLength(1);
      const document = JSON.parse(JSON.stringify(policies[0]![1].Properties.PolicyDocument));
      const ruleId = ofType('AWS::Events::Rule')[0]![0];
      // The document is a Fn::Join of text and tokens: its parts name the principals, actions, the archive and the rule.
      const text = JSON.stringify(document);
      for (const part of [
        'events.amazonaws.com',
        'delivery.logs.amazonaws.com',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ArnEquals',
        'aws:SourceArn',
        archiveId(),
        ruleId,
      ]) {
        expect(text).toContain(part);
      }
      expect(text).not.toContain('"*"');
    });

    it.each([
      ['BuildsCompleted', 'completed', () => stack.buildEvents.metricBuildsCompleted()],
      ['BuildsFailed', 'failed', () => stack.buildEvents.metricBuildsFailed()],
    ])('counts %s with a metric filter on the build events of that status, exposed as a Sum metric in TwilioServerless', (name, status, metric) => {
      const filters = ofType('AWS::Logs::MetricFilter').filter(([, filter]) => filter.Properties.MetricTransformations[0].MetricName === name);
      expect(filters).toHaveLength(1);
      const filter = filters[0]![1].Properties;
      expect(filter.LogGroupName).toEqual({ Ref: archiveId() });
      expect(filter.FilterPattern).toBe(`{ ($.source = "twilio-serverless") && ($.detail.status = "${status}") }`);
      expect(filter.MetricTransformations).toEqual([{ MetricNamespace: 'TwilioServerless', MetricName: name, MetricValue: '1' }]);
      expect(metric()).toMatchObject({ namespace: 'TwilioServerless', metricName: name, statistic: 'Sum' });
    });
  });

  describe('pipe', () => {
    const pipe = () => resources[stack.getLogicalId(stack.buildEvents.pipe)]!.Properties;
    const tableId = () => id(stack.table);
    const streamArn = () => ({ 'Fn::GetAtt': [tableId(), 'StreamArn'] });

    it("reads the table's stream from its oldest record, one record per execution, 3 retries, then its dead-letter queue", () => {
      expect(pipe().Source).toEqual(streamArn());
      expect(pipe().SourceParameters.DynamoDBStreamParameters).toEqual({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 1,
        MaximumRetryAttempts: 3,
        DeadLetterConfig: { Arn: arnOf(id(stack.buildEvents.deadLetterQueue)) },
      });
    });

    it('keeps a build going from building to completed or failed and a new deployment, with the shared filters', () => {
      const filters = pipe().SourceParameters.FilterCriteria.Filters as { Pattern: string }[];
      expect(filters).toEqual(BUILD_EVENTS_FILTERS.map((filter) => ({ Pattern: JSON.stringify(filter) })));
      expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
        {
          eventName: ['MODIFY'],
          dynamodb: {
            Keys: { SK: { S: [{ prefix: 'BUILD#' }] } },
            OldImage: { status: { S: ['building'] } },
            NewImage: { status: { S: ['completed', 'failed'] } },
          },
        },
        { eventName: ['INSERT'], dynamodb: { Keys: { SK: { S: [{ prefix: 'DEPLOYMENT#' }] } } } },
      ]);
    });

    it('invokes the events workflow synchronously with the shared input template (the keys only)', () => {
      expect(pipe().Target).toEqual({ Ref: id(stack.buildEvents.workflow) });
      expect(pipe().TargetParameters).toEqual({
        InputTemplate: BUILD_EVENTS_INPUT_TEMPLATE,
        StepFunctionStateMachineParameters: { InvocationType: 'REQUEST_RESPONSE' },
      });
      expect(JSON.parse(BUILD_EVENTS_INPUT_TEMPLATE.replace(/<[^>]+>/g, 'x'))).toEqual({ PK: 'x', SK: 'x' });
    });

    it("has a role of least privilege: read this table's stream, start this workflow synchronously, send to its queue", () => {
      const role = pipe().RoleArn['Fn::GetAtt'][0] as string;
      expect(resources[role]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'pipes.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
      expect(permissionsOf(role)).toEqual(
        [
          ...allow(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], streamArn()),
          ...allow(['dynamodb:ListStreams'], { 'Fn::Join': ['', [arnOf(tableId()), '/stream/*']] }),
          ...allow(['states:StartSyncExecution'], { Ref: id(stack.buildEvents.workflow) }),
          ...allow(['sqs:SendMessage'], arnOf(id(stack.buildEvents.deadLetterQueue))),
        ].sort(),
      );
    });

    it('keeps dead letters encrypted (SSE), for 14 days, and denies any request not over TLS', () => {
      const queueId = id(stack.buildEvents.deadLetterQueue);
      expect(resources[queueId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      const policy = ofType('AWS::SQS::QueuePolicy').find(
        ([, queuePolicy]) => JSON.stringify(queuePolicy.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
      );
      expect(policy?.[1].Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Action: 'sqs:*' }),
      );
    });
  });

  describe('events workflow', () => {
    const machine = () => resources[id(stack.buildEvents.workflow)]!.Properties;

    it('is an Express state machine with tracing and error logs without execution data', () => {
      expect(machine()).toMatchObject({
        StateMachineType: 'EXPRESS',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      });
      const logGroupId = machine().LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
    });

    it('is the shared definition file with the table, the bus and the source substituted', () => {
      expect(machine().DefinitionString).toBe(readFileSync(BUILD_EVENTS_DEFINITION_FILE, 'utf8'));
      const substitutions = machine().DefinitionSubstitutions as Json;
      expect(substitutions).toEqual({
        TableName: { Ref: id(stack.table) },
        EventBusName: { Ref: id(stack.buildEvents.bus) },
        EventSource: 'twilio-serverless',
      });
      const deployed = JSON.parse(
        (machine().DefinitionString as string).replace(/\$\{(\w+)\}/g, (_, name: string) =>
          typeof substitutions[name] === 'string' ? substitutions[name] : `the-${name}`,
        ),
      );
      expect(deployed).toEqual(renderBuildEventsDefinition({ TableName: 'the-TableName', EventBusName: 'the-EventBusName', EventSource: 'twilio-serverless' }));
    });

    it("may read this table's items and put events on this bus, nothing else (plus log delivery and tracing, which take no resource)", () => {
      const tasks = Object.values((JSON.parse(readFileSync(BUILD_EVENTS_DEFINITION_FILE, 'utf8')) as Json).States as Json)
        .filter((state: Json) => state.Type === 'Task')
        .map((state: Json) => state.Resource);
      expect(tasks.sort()).toEqual(['arn:aws:states:::dynamodb:getItem', 'arn:aws:states:::events:putEvents']);
      const role = machine().RoleArn['Fn::GetAtt'][0] as string;
      const scoped = permissionsOf(role).filter((pair) => !pair.endsWith(' "*"'));
      expect(scoped).toEqual([...allow(['dynamodb:GetItem'], arnOf(id(stack.table))), ...allow(['events:PutEvents'], arnOf(id(stack.buildEvents.bus)))].sort());
      const unscoped = permissionsOf(role)
        .filter((pair) => pair.endsWith(' "*"'))
        .map((pair) => pair.split(' ')[0]!);
      expect(unscoped.every((action) => action.startsWith('logs:') || action.startsWith('xray:'))).toBe(true);
    });
  });

  it('is in the stack its construct belongs to', () => {
    expect(Stack.of(stack.buildEvents)).toBe(stack);
  });
});
