import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { TABLE_KEY, TTL_ATTRIBUTE } from '../../lambda/store/keys';
import { BuildsStack } from '../../lib/builds-stack';
import { settingsFromContext } from '../../lib/stack-config';
import { renderWorkflowDefinition, WORKFLOW_DEFINITION_FILE } from '../../lib/workflow-definition';

/** The feature flags of cdk.json, so the tests synthesize what `cdk synth` does. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;

interface Synthesized {
  stack: BuildsStack;
  template: Template;
  /** The logical id of a construct's CloudFormation resource. */
  id: (construct: { node: { defaultChild?: unknown } }) => string;
}

/** Synthesizes the stack without bundling (the functions' code is not built). */
function synth(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new BuildsStack(app, 'TwilioServerlessBuilds', { settings: settingsFromContext(app) });
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, template, id };
}

type Json = Record<string, any>;

/** Every (action, resource) an IAM role is allowed, from every policy attached to it. */
function permissionsOf(template: Template, roleLogicalId: string): string[] {
  const role = template.toJSON().Resources[roleLogicalId] as Json;
  expect(role.Properties.ManagedPolicyArns, 'no managed policies').toBeUndefined();
  expect(role.Properties.Policies, 'no inline policies on the role').toBeUndefined();
  const attached = Object.values({
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  }).filter((policy: Json) => JSON.stringify(policy.Properties.Roles ?? []).includes(`"${roleLogicalId}"`));
  const pairs: string[] = [];
  for (const policy of attached as Json[]) {
    for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      expect(statement.Condition).toBeUndefined();
      const actions: string[] = [statement.Action].flat();
      const resources: unknown[] = [statement.Resource].flat();
      for (const action of actions) {
        expect(action, 'no wildcard actions').not.toContain('*');
        for (const resource of resources) pairs.push(`${action} ${JSON.stringify(resource)}`);
      }
    }
  }
  return pairs.sort();
}

const allow = (actions: string[], resource: unknown) => actions.map((action) => `${action} ${JSON.stringify(resource)}`);
const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
const XRAY = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

const EXPECTED_TABLE_ACTIONS: Record<string, string[]> = {
  'create-build': ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  'list-builds': ['dynamodb:BatchGetItem', 'dynamodb:Query'],
  'fetch-build': ['dynamodb:BatchGetItem'],
  'delete-build': ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem'],
  'fetch-build-status': ['dynamodb:BatchGetItem'],
  [FALLBACK_ENTRY]: [],
};
const ENTRIES = [...ROUTES.map((route) => route.entry), FALLBACK_ENTRY];

describe('BuildsStack with default context', () => {
  let s: Synthesized;
  let resources: Record<string, Json>;
  beforeAll(() => {
    s = synth();
    resources = s.template.toJSON().Resources;
  });

  describe('table', () => {
    it('has the single-table string keys of lambda/store/keys.ts', () => {
      s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals([
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
        ]),
        GlobalSecondaryIndexes: Match.absent(),
      });
    });

    it('is on-demand, encrypted with KMS, with TTL on the build expiry attribute', () => {
      s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      });
    });

    it('has point-in-time recovery and deletion protection, and is retained', () => {
      s.template.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          Replicas: [
            Match.objectLike({
              DeletionProtectionEnabled: true,
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            }),
          ],
        }),
      });
    });
  });

  describe.each(ENTRIES)('function %s', (entry) => {
    const fnOf = () => resources[s.id(s.stack.functions[entry]!)]!.Properties as Json;

    it('runs Node.js 24 on arm64 with active tracing, 256 MB and 10 s', () => {
      expect(fnOf()).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 256,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
      });
    });

    it('logs to its own log group, kept for a month', () => {
      const logGroupRef = fnOf().LoggingConfig.LogGroup as Json;
      const logGroup = resources[logGroupRef.Ref]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.DeletionPolicy).toBe('Retain');
    });

    it('has the environment its handler reads, and no more', () => {
      const environment = fnOf().Environment.Variables as Json;
      const expected: Json = {
        POWERTOOLS_SERVICE_NAME: 'twilio-serverless-builds',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CORS_ALLOWED_ORIGINS: '*',
        NODE_OPTIONS: '--enable-source-maps',
      };
      if (entry !== FALLBACK_ENTRY) {
        expected.TABLE_NAME = { Ref: s.id(s.stack.table) };
        expected.DYNAMODB_ENDPOINT = '';
        expected.BUILD_TTL_HOURS = '24';
      }
      if (entry === 'create-build') {
        expected.STATE_MACHINE_ARN = { Ref: s.id(s.stack.stateMachine) };
        expected.STEPFUNCTIONS_ENDPOINT = '';
        expected.RATE_LIMIT_BUILDS_PER_HOUR = '100';
      }
      expect(environment).toEqual(expected);
    });

    it('may do exactly what its handler does (least privilege)', () => {
      const fn = fnOf();
      const roleId = (fn.Role as Json)['Fn::GetAtt'][0] as string;
      const expected = [
        ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], arnOf((fn.LoggingConfig.LogGroup as Json).Ref)),
        ...allow(XRAY, '*'),
        ...allow(EXPECTED_TABLE_ACTIONS[entry]!, arnOf(s.id(s.stack.table))),
        ...(entry === 'create-build' ? allow(['states:StartExecution'], { Ref: s.id(s.stack.stateMachine) }) : []),
      ].sort();
      expect(permissionsOf(s.template, roleId)).toEqual(expected);
      // Its own role, assumable by Lambda only.
      expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    });
  });

  it('grants exactly the DynamoDB actions lambda/store/table-store.ts uses (a new command there fails this until IAM is reviewed)', () => {
    const store = readFileSync(new URL('../../lambda/store/table-store.ts', import.meta.url), 'utf8');
    const commands = new Set([...store.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]));
    // IAM authorizes a TransactWriteItems as the Put/Update/Delete/ConditionCheck it contains.
    const transactionParts = /TransactWrite/.test([...commands].join())
      ? [...store.matchAll(/write: \{\s*(Put|Update|Delete|ConditionCheck):/g)].map((m) => m[1])
      : [];
    const ACTION: Record<string, string> = {
      BatchGet: 'dynamodb:BatchGetItem',
      Get: 'dynamodb:GetItem',
      Put: 'dynamodb:PutItem',
      Update: 'dynamodb:UpdateItem',
      Delete: 'dynamodb:DeleteItem',
      Query: 'dynamodb:Query',
      ConditionCheck: 'dynamodb:ConditionCheckItem',
    };
    const used = [...commands, ...transactionParts]
      .filter((name) => name !== 'TransactWrite')
      .map((name) => {
        expect(ACTION[name!], `IAM action of ${name}Command`).toBeDefined();
        return ACTION[name!]!;
      });
    const granted = new Set(Object.values(EXPECTED_TABLE_ACTIONS).flat());
    expect([...granted].sort()).toEqual([...new Set(used)].sort());
  });

  it('gives every function its own role', () => {
    const roles = Object.values(s.template.findResources('AWS::Lambda::Function')).map((fn: Json) => fn.Properties.Role['Fn::GetAtt'][0]);
    expect(roles).toHaveLength(ENTRIES.length);
    expect(new Set(roles).size).toBe(ENTRIES.length);
  });

  it('lets only the create function start executions, of the build workflow only', () => {
    const startsExecutions = Object.entries(s.template.findResources('AWS::IAM::Policy')).filter(([, policy]: [string, Json]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('states:'),
    );
    const createRole = (resources[s.id(s.stack.functions['create-build']!)]!.Properties.Role as Json)['Fn::GetAtt'][0];
    expect(startsExecutions).toHaveLength(1);
    expect(startsExecutions[0]![1].Properties.Roles).toEqual([{ Ref: createRole }]);
    expect(permissionsOf(s.template, createRole).filter((pair) => pair.startsWith('states:'))).toEqual(
      allow(['states:StartExecution'], { Ref: s.id(s.stack.stateMachine) }),
    );
  });

  describe('HTTP API', () => {
    const integrationTarget = (routeKey: string): string => {
      const [route] = Object.values(s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } })) as Json[];
      expect(route, `route ${routeKey}`).toBeDefined();
      expect(route!.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
      const target = route!.Properties.Target as Json;
      expect(target['Fn::Join'][1][0]).toBe('integrations/');
      const integration = resources[target['Fn::Join'][1][1].Ref]!;
      expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      return integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
    };

    it('is an HTTP API without API Gateway CORS (the handlers answer CORS)', () => {
      s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.absent() });
    });

    it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route.entry] as const))('routes %s to %s', (routeKey, entry) => {
      expect(integrationTarget(routeKey)).toBe(s.id(s.stack.functions[entry]!));
    });

    it('routes $default to the fallback function', () => {
      expect(integrationTarget('$default')).toBe(s.id(s.stack.functions[FALLBACK_ENTRY]!));
    });

    it('has no routes besides ROUTES and $default', () => {
      const routeKeys = Object.values(s.template.findResources('AWS::ApiGatewayV2::Route')).map((route: Json) => route.Properties.RouteKey);
      expect(routeKeys.sort()).toEqual([...ROUTES.map((route) => `${route.method} ${route.path}`), '$default'].sort());
    });

    it('lets API Gateway invoke each function from this API only', () => {
      for (const entry of ENTRIES) {
        s.template.hasResourceProperties('AWS::Lambda::Permission', {
          Action: 'lambda:InvokeFunction',
          FunctionName: arnOf(s.id(s.stack.functions[entry]!)),
          Principal: 'apigateway.amazonaws.com',
          SourceArn: { 'Fn::Join': ['', Match.arrayWith([{ Ref: s.id(s.stack.api) }])] },
        });
      }
    });

    it('serves the $default stage, auto-deployed and throttled, with JSON access logs kept a month', () => {
      const [stage] = Object.values(s.template.findResources('AWS::ApiGatewayV2::Stage')) as Json[];
      expect(Object.keys(s.template.findResources('AWS::ApiGatewayV2::Stage'))).toHaveLength(1);
      expect(stage!.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const accessLogs = stage!.Properties.AccessLogSettings as Json;
      const format = JSON.parse(accessLogs.Format as string) as Record<string, string>;
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', routeKey: '$context.routeKey' });
      expect(JSON.stringify(format), 'no headers in access logs').not.toMatch(/header|authorization/i);
      const logGroup = resources[accessLogs.DestinationArn['Fn::GetAtt'][0]]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    });
  });

  describe('build workflow', () => {
    let machine: Json;
    beforeAll(() => {
      machine = resources[s.id(s.stack.stateMachine)]!;
    });

    it('is an Express state machine with tracing and error logs without execution data', () => {
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'EXPRESS',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
      });
      const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
      expect(JSON.stringify(resources[logGroupId]!.Properties.LogGroupName)).toContain('/aws/vendedlogs/states/');
    });

    it('is the shared definition file with the table and wait substituted', () => {
      const substitutions = machine.Properties.DefinitionSubstitutions as Json;
      expect(substitutions).toEqual({ TableName: { Ref: s.id(s.stack.table) }, BuildWaitSeconds: '10' });
      // Resolve the tokens the way CloudFormation would, with a stand-in for the table's name.
      const definitionText = machine.Properties.DefinitionString as string;
      const placeholders = new Set([...definitionText.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]));
      expect([...placeholders].sort()).toEqual(Object.keys(substitutions).sort());
      const deployed = JSON.parse(
        definitionText.replace(/\$\{(\w+)\}/g, (_, name: string) => (name === 'TableName' ? 'the-table' : (substitutions[name] as string))),
      );
      expect(deployed).toEqual(renderWorkflowDefinition({ TableName: 'the-table', BuildWaitSeconds: '10' }));
      expect(definitionText).toBe(readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8'));
    });

    it('may only update items of the table (plus log delivery and tracing, which take no resource)', () => {
      // The definition's Task states all use the DynamoDB UpdateItem integration: if another
      // integration appears, the role below must change with it.
      const states = Object.values((JSON.parse(readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8')) as Json).States) as Json[];
      const taskResources = new Set(states.filter((state) => state.Type === 'Task').map((state) => state.Resource));
      expect([...taskResources]).toEqual(['arn:aws:states:::dynamodb:updateItem']);

      const roleId = (machine.Properties.RoleArn as Json)['Fn::GetAtt'][0] as string;
      // Assumable by Step Functions, for state machines of this account only (confused deputy).
      const trust = resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement as Json[];
      expect(trust).toHaveLength(1);
      expect(trust[0]).toMatchObject({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      });
      const logDelivery = [
        'logs:CreateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:DescribeLogGroups',
        'logs:DescribeResourcePolicies',
        'logs:GetLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:UpdateLogDelivery',
      ];
      const tracing = ['xray:GetSamplingRules', 'xray:GetSamplingTargets', ...XRAY];
      expect(permissionsOf(s.template, roleId)).toEqual(
        [...allow(['dynamodb:UpdateItem'], arnOf(s.id(s.stack.table))), ...allow([...logDelivery, ...tracing], '*')].sort(),
      );
    });
  });

  it('outputs the API URL, table name and state machine ARN', () => {
    const outputs = s.template.toJSON().Outputs as Json;
    expect(outputs.TableName.Value).toEqual({ Ref: s.id(s.stack.table) });
    expect(outputs.StateMachineArn.Value).toEqual({ Ref: s.id(s.stack.stateMachine) });
    expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(s.id(s.stack.api));
  });

  it('is environment-agnostic and synthesizes without warnings or errors', () => {
    expect(s.stack.environment).toBe('aws://unknown-account/unknown-region');
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(s.stack).findError('*', Match.anyValue())).toEqual([]);
  });
});

describe('BuildsStack with context', () => {
  it('removalPolicy=destroy turns deletion protection off and deletes table and logs with the stack', () => {
    const { template } = synth({ removalPolicy: 'destroy' });
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup')) as Json[]) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
    }
  });

  it('passes the wait, TTL, CORS origins, public base URL and throttling through (as -c strings)', () => {
    const s = synth({
      buildWaitSeconds: '3',
      buildTtlHours: '48',
      corsAllowedOrigins: 'https://a.example,https://b.example',
      publicBaseUrl: 'https://builds.example.com/',
      throttleRateLimit: '7',
      throttleBurstLimit: '9',
      rateLimitBuildsPerHour: '0',
      stage: 'dev',
    });
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionSubstitutions: { BuildWaitSeconds: '3' },
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'twilio-serverless-builds-dev' });
    const create = s.template.toJSON().Resources[s.id(s.stack.functions['create-build']!)].Properties.Environment.Variables;
    expect(create).toMatchObject({
      BUILD_TTL_HOURS: '48',
      CORS_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
      PUBLIC_BASE_URL: 'https://builds.example.com',
      RATE_LIMIT_BUILDS_PER_HOUR: '0',
    });
    const fallback = s.template.toJSON().Resources[s.id(s.stack.functions[FALLBACK_ENTRY]!)].Properties.Environment.Variables;
    expect(fallback.CORS_ALLOWED_ORIGINS).toBe('https://a.example,https://b.example');
  });

  it.each([
    [{ removalPolicy: 'snapshot' }, /removalPolicy/],
    [{ stage: 'Prod!' }, /stage/],
    [{ buildWaitSeconds: '300' }, /buildWaitSeconds/],
    [{ buildWaitSeconds: 'ten' }, /buildWaitSeconds/],
    [{ buildTtlHours: '0' }, /buildTtlHours/],
    [{ throttleRateLimit: '-1' }, /throttleRateLimit/],
    [{ rateLimitBuildsPerHour: '-5' }, /rateLimitBuildsPerHour/],
    [{ publicBaseUrl: 'builds.example.com' }, /publicBaseUrl/],
    [{ corsAllowedOrigins: ' , ' }, /corsAllowedOrigins/],
  ])('rejects %o', (context, message) => {
    const app = new App({ context });
    expect(() => settingsFromContext(app)).toThrow(message);
  });
});
