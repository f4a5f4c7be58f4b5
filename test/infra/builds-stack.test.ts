import { readdirSync, readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_CONTENT_BYTES } from '../../lambda/domain/limits';
import { STATUS_ATTEMPT_TIMEOUT_MS, STATUS_RETRY_BUDGET_MS, STATUS_RETRY_RESERVE_MS } from '../../lambda/handlers/fetch-build-status';
import { FALLBACK_ENTRY, ROUTES } from '../../lambda/routes';
import { keys, PARENT_INDEX, TABLE_KEY, TTL_ATTRIBUTE, UNREFERENCED_TAG } from '../../lambda/store/keys';
import { BUILD_INSERT_FILTER, WORKFLOW_INPUT_TEMPLATE } from '../../lib/build-outbox';
import { BuildsStack } from '../../lib/builds-stack';
import { settingsFromContext } from '../../lib/stack-config';
import { renderWorkflowDefinition, WORKFLOW_DEFINITION_FILE } from '../../lib/workflow-definition';
import { testApp } from '../support/cdk';
import { COMMAND_PERMISSIONS, HandlerAnalyzer, type Permission, TRANSACTION_COMMANDS, TRANSACTION_PART_ACTIONS } from './handler-permissions';

interface Synthesized {
  stack: BuildsStack;
  template: Template;
  /** The logical id of a construct's CloudFormation resource. */
  id: (construct: { node: { defaultChild?: unknown } }) => string;
}

/** Synthesizes the stack without bundling (the functions' code is not built). */
function synth(context: Record<string, unknown> = {}): Synthesized {
  const app = testApp(context);
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

/** Type-checking the handlers and synthesizing take seconds alone, and minutes on a busy machine. */
const SLOW_HOOK_MS = 180_000;

/** Every function: one per distinct entry of ROUTES (a family's routes share one), plus the fallback. */
const ENTRIES = [...new Set<string>(ROUTES.map((route) => route.entry)), FALLBACK_ENTRY];
/** The function that takes version uploads (multipart bodies up to maxContentBytes). */
const UPLOADS = 'upload-version';
/** The function that rides out DynamoDB blips for deploy tools polling Build Status. */
const STATUS = 'fetch-build-status';

/**
 * What each function's code does, found by following its handler's references to the AWS SDK
 * commands it sends (test/infra/handler-permissions.ts): the expected grants come from the code,
 * not from a second hand-written table.
 */
let analyzer: HandlerAnalyzer;
beforeAll(() => {
  analyzer = new HandlerAnalyzer(ENTRIES);
}, SLOW_HOOK_MS);
const permissionsOfCode = (entry: string): Permission[] => analyzer.analyze(entry).permissions;
const usesService = (entry: string, prefix: string) => permissionsOfCode(entry).some((permission) => permission.action.startsWith(prefix));

/** The IAM actions a store module's commands need, read from its source (`new XCommand(`), transactions by their parts. */
/** The store modules that call DynamoDB: every file under lambda/store/ except the S3 one. */
const TABLE_MODULES = readdirSync(new URL('../../lambda/store', import.meta.url)).filter((file) => file.endsWith('.ts') && file !== 'content.ts');

/** The IAM actions the given lambda/store modules' SDK commands need (`paginateQuery` is a Query). */
function actionsOfStoreModules(files: readonly string[]): string[] {
  const actions = new Set<string>();
  for (const file of files) {
    const source = readFileSync(new URL(`../../lambda/store/${file}`, import.meta.url), 'utf8');
    const commands = new Set([...source.matchAll(/new (\w+Command)\(/g)].map((match) => match[1]!));
    if (/\bpaginateQuery\(/.test(source)) commands.add('QueryCommand');
    for (const command of commands) {
      if (TRANSACTION_COMMANDS.has(command)) {
        // IAM authorizes a transaction as the Put/Update/Delete/ConditionCheck items in it.
        const parts = [...source.matchAll(/\{\s*(Put|Update|Delete|ConditionCheck|Get):/g)].map((match) => match[1]!);
        expect(parts.length, `the items of ${command} in ${file}`).toBeGreaterThan(0);
        for (const part of parts) actions.add(TRANSACTION_PART_ACTIONS[part]!);
        continue;
      }
      expect(COMMAND_PERMISSIONS[command], `IAM action of ${command} (${file})`).toBeDefined();
      actions.add(COMMAND_PERMISSIONS[command]!.action);
    }
  }
  expect(actions.size, `commands in ${files.join(', ')}`).toBeGreaterThan(0);
  return [...actions].sort();
}

describe('BuildsStack with default context', () => {
  let s: Synthesized;
  let resources: Record<string, Json>;
  beforeAll(() => {
    s = synth();
    resources = s.template.toJSON().Resources;
  }, SLOW_HOOK_MS);
  const fnOf = (entry: string) => resources[s.id(s.stack.functions[entry]!)]!.Properties as Json;
  const roleOf = (entry: string) => (fnOf(entry).Role as Json)['Fn::GetAtt'][0] as string;
  /** The resource of each kind a permission of the code is on, as the template writes it. */
  const resourceOf = (kind: Permission['resource']): unknown => {
    const table = arnOf(s.id(s.stack.table));
    const bucket = arnOf(s.id(s.stack.contentBucket));
    return {
      table,
      index: { 'Fn::Join': ['', [table, `/index/${PARENT_INDEX.name}`]] },
      objects: { 'Fn::Join': ['', [bucket, '/services/*']] },
      bucket,
      stateMachine: { Ref: s.id(s.stack.stateMachine) },
    }[kind];
  };

  describe('table', () => {
    it('has the single-table string keys of lambda/store/keys.ts, and the ByParent index', () => {
      s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayEquals([
          { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' },
          { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' },
          { AttributeName: PARENT_INDEX.partitionKey, AttributeType: 'S' },
        ]),
      });
    });

    it('indexes versions by parent (keys of PARENT_INDEX), projecting every attribute', () => {
      // ALL: a versions page renders whole items, and deleting a function or asset reads each
      // version's object_key from the index.
      s.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        GlobalSecondaryIndexes: [
          {
            IndexName: PARENT_INDEX.name,
            KeySchema: [
              { AttributeName: PARENT_INDEX.partitionKey, KeyType: 'HASH' },
              { AttributeName: PARENT_INDEX.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        Replicas: [Match.objectLike({ GlobalSecondaryIndexes: [{ IndexName: PARENT_INDEX.name }] })],
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

  describe('content bucket', () => {
    let bucket: Json;
    beforeAll(() => {
      bucket = resources[s.id(s.stack.contentBucket)]!;
    });

    it('is the one bucket, private: all public access blocked, owner-enforced objects (no ACLs)', () => {
      s.template.resourceCountIs('AWS::S3::Bucket', 1);
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(bucket.Properties.AccessControl).toBeUndefined();
    });

    it('is encrypted with S3 managed keys (SSE-S3)', () => {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
    });

    it('denies every request not over TLS, and its policy allows nothing', () => {
      const policies = Object.values(s.template.findResources('AWS::S3::BucketPolicy')) as Json[];
      expect(policies).toHaveLength(1);
      expect(policies[0]!.Properties.Bucket).toEqual({ Ref: s.id(s.stack.contentBucket) });
      const bucketArn = arnOf(s.id(s.stack.contentBucket));
      expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
        {
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Resource: [bucketArn, { 'Fn::Join': ['', [bucketArn, '/*']] }],
        },
      ]);
    });

    it('expires objects still tagged unreferenced after a day, and aborts multipart uploads left incomplete after a day', () => {
      // The tag is the one uploads put on an object until its version item is written.
      expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
        {
          Id: 'ExpireUnreferencedContent',
          Status: 'Enabled',
          ExpirationInDays: 1,
          TagFilters: [{ Key: UNREFERENCED_TAG.key, Value: UNREFERENCED_TAG.value }],
        },
        { Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
      ]);
      const contentStore = readFileSync(new URL('../../lambda/store/content.ts', import.meta.url), 'utf8');
      expect(contentStore, 'uploads tag with UNREFERENCED_TAG').toContain('Tagging: `${UNREFERENCED_TAG.key}=${UNREFERENCED_TAG.value}`');
    });

    it('is retained with the stack, and no custom resource empties it', () => {
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
      s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    });
  });

  describe.each(ENTRIES)('function %s', (entry) => {
    it('runs Node.js 24 on arm64 without active tracing; 28 s for Build Status and 10 s for the others, 512 MB for uploads and 256 MB for the others', () => {
      expect(fnOf(entry)).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: entry === UPLOADS ? 512 : 256,
        Timeout: entry === STATUS ? 28 : 10,
      });
      // docs/operations.md, "Metrics and tracing": the functions' traces would hold nothing the logs and metrics lack.
      expect(fnOf(entry).TracingConfig).toBeUndefined();
    });

    it('logs to its own log group, kept for a month', () => {
      const logGroupRef = fnOf(entry).LoggingConfig.LogGroup as Json;
      const logGroup = resources[logGroupRef.Ref]!;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.DeletionPolicy).toBe('Retain');
    });

    it('has the environment its handler reads, and no more', () => {
      const environment = fnOf(entry).Environment.Variables as Json;
      const expected: Json = {
        POWERTOOLS_SERVICE_NAME: 'twilio-serverless-builds',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CORS_ALLOWED_ORIGINS: '*',
        NODE_OPTIONS: '--enable-source-maps',
      };
      if (usesService(entry, 'dynamodb:')) {
        expected.TABLE_NAME = { Ref: s.id(s.stack.table) };
        expected.DYNAMODB_ENDPOINT = '';
        expected.BUILD_TTL_HOURS = '24';
      }
      if (entry === 'create-build') expected.RATE_LIMIT_BUILDS_PER_HOUR = '100';
      if (usesService(entry, 's3:')) {
        expected.CONTENT_BUCKET = { Ref: s.id(s.stack.contentBucket) };
        expected.S3_ENDPOINT = '';
      }
      if (entry === UPLOADS) expected.MAX_CONTENT_BYTES = String(DEFAULT_MAX_CONTENT_BYTES);
      if (entry === 'environments') expected.FUNCTIONS_DOMAIN = 'localhost';
      expect(environment).toEqual(expected);
    });

    it('may do exactly what its code does (least privilege, derived from the handler)', () => {
      const fn = fnOf(entry);
      const expected = [
        ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], arnOf((fn.LoggingConfig.LogGroup as Json).Ref)),
        ...permissionsOfCode(entry).map((permission) => `${permission.action} ${JSON.stringify(resourceOf(permission.resource))}`),
      ].sort();
      expect(permissionsOf(s.template, roleOf(entry))).toEqual(expected);
      // Its own role, assumable by Lambda only.
      expect(resources[roleOf(entry)]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    });
  });

  it('names a single-route function after its route and a family after its entry (CreateBuildFunction…, FunctionsFunction…)', () => {
    for (const entry of ENTRIES) {
      const routes = ROUTES.filter((route) => route.entry === entry);
      const name = routes.length === 1 ? routes[0]!.id : entry.replace(/(^|-)([a-z])/g, (_, _dash: string, letter: string) => letter.toUpperCase());
      expect(s.stack.functions[entry]!.node.id).toBe(`${name}Function`);
    }
  });

  it("keeps the create function's logical id that docs/local-stack.md's sam local invoke line names", () => {
    const doc = readFileSync(new URL('../../docs/local-stack.md', import.meta.url), 'utf8');
    const named = /sam local invoke -t \S+ (\w+)/.exec(doc)?.[1];
    expect(named).toBeDefined();
    expect(s.id(s.stack.functions['create-build']!)).toBe(named);
  });

  describe('IAM derived from the code', () => {
    /** The actions of one service granted to all the functions, on any resource. */
    const grantedActions = (prefix: string) =>
      [
        ...new Set(
          ENTRIES.flatMap((entry) => permissionsOf(s.template, roleOf(entry)))
            .map((pair) => pair.split(' ')[0]!)
            .filter((action) => action.startsWith(prefix)),
        ),
      ].sort();

    it('grants exactly the DynamoDB actions the lambda/store table modules use (a new command there fails this until IAM is reviewed)', () => {
      expect(grantedActions('dynamodb:')).toEqual(actionsOfStoreModules(TABLE_MODULES));
    });

    it('grants exactly the S3 actions lambda/store/content.ts uses', () => {
      expect(grantedActions('s3:')).toEqual(actionsOfStoreModules(['content.ts']));
    });

    it('knows the IAM action of every AWS SDK command under lambda/', () => {
      const files = readdirSync(new URL('../../lambda', import.meta.url), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
      const commands = new Set(
        files.flatMap((file) => [...readFileSync(new URL(`../../lambda/${file}`, import.meta.url), 'utf8').matchAll(/new (\w+Command)\(/g)].map((m) => m[1]!)),
      );
      expect(commands.size).toBeGreaterThan(0);
      for (const command of commands) expect(command in COMMAND_PERMISSIONS || TRANSACTION_COMMANDS.has(command), command).toBe(true);
    });

    it('the analysis follows only what a handler references (a shared module grants nothing it does not call)', () => {
      const of = (entry: string) => permissionsOfCode(entry).map((permission) => `${permission.action} ${permission.resource}`);
      expect(of(FALLBACK_ENTRY)).toEqual([]);
      // Every authenticated route may read an API key's item (GetItem) before its context (BatchGetItem).
      expect(of('fetch-build')).toEqual(['dynamodb:BatchGetItem table', 'dynamodb:GetItem table']);
      expect(of('create-build')).toEqual([
        'dynamodb:BatchGetItem table',
        'dynamodb:GetItem table',
        // A PutItem, or a TransactWriteItems of two Puts (build, idempotency record).
        'dynamodb:PutItem table',
      ]);
      // The create writes its build and nothing else: the table's stream starts the workflow.
      for (const entry of ENTRIES)
        expect(
          of(entry).filter((permission) => permission.startsWith('states:')),
          entry,
        ).toEqual([]);
      // Uploads share http/deployables.ts and use-cases/deployables.ts with the functions function, whose
      // list, delete and content reads they do not call.
      expect(of(UPLOADS)).toEqual([
        'dynamodb:BatchGetItem table',
        // A TransactWriteItems of a ConditionCheck (the parent still exists) and a Put (the version).
        'dynamodb:ConditionCheckItem table',
        'dynamodb:GetItem table',
        'dynamodb:PutItem table',
        's3:DeleteObject objects',
        's3:PutObject objects',
        's3:PutObjectTagging objects',
      ]);
      // Services list their own partition; only function and asset versions are read through the index.
      expect(of('services')).not.toContain('dynamodb:Query index');
      expect(of('functions')).toEqual(expect.arrayContaining(['dynamodb:Query index', 'dynamodb:Query table']));
    });

    it('scopes S3 to objects under services/ (every content key the code builds), listing to the bucket', () => {
      const grant = /^services\/.*/;
      expect(keys.content('ZS00000000000000000000000000000000', 'ZN00000000000000000000000000000000')).toMatch(grant);
      expect(keys.serviceContentPrefix('ZS00000000000000000000000000000000')).toMatch(grant);
      const withS3 = ENTRIES.filter((entry) => usesService(entry, 's3:'));
      expect(withS3.sort()).toEqual(['functions', 'services', UPLOADS].sort());
      for (const entry of ENTRIES) {
        const s3 = permissionsOf(s.template, roleOf(entry)).filter((pair) => pair.startsWith('s3:'));
        for (const pair of s3) {
          const [action] = pair.split(' ');
          expect(pair).toBe(`${action} ${JSON.stringify(action === 's3:ListBucket' ? resourceOf('bucket') : resourceOf('objects'))}`);
        }
        expect(
          s3.some((pair) => pair.startsWith('s3:ListBucket ')),
          `${entry} lists the bucket`,
        ).toBe(entry === 'services');
        if (!withS3.includes(entry)) expect(s3, `${entry} has no S3 access`).toEqual([]);
      }
    });
  });

  it('gives every function its own role', () => {
    const roles = Object.values(s.template.findResources('AWS::Lambda::Function')).map((fn: Json) => fn.Properties.Role['Fn::GetAtt'][0]);
    expect(roles).toHaveLength(ENTRIES.length);
    expect(new Set(roles).size).toBe(ENTRIES.length);
  });

  it('lets no function start executions: only the pipes (the outbox and the build events, test/infra/build-events.test.ts)', () => {
    const startsExecutions = Object.entries(s.template.findResources('AWS::IAM::Policy')).filter(([, policy]: [string, Json]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('states:'),
    );
    const roleOfPipe = (pipe: CfnElement) => ({ Ref: resources[s.stack.getLogicalId(pipe)]!.Properties.RoleArn['Fn::GetAtt'][0] });
    expect(startsExecutions.map(([, policy]: [string, Json]) => policy.Properties.Roles)).toEqual([
      [roleOfPipe(s.stack.pipe)],
      [roleOfPipe(s.stack.buildEvents.pipe)],
    ]);
  });

  describe('outbox: the table stream and the pipe that starts the workflow', () => {
    const pipeOf = () => resources[s.stack.getLogicalId(s.stack.pipe)]!;
    const tableId = () => s.id(s.stack.table);
    const streamArn = () => ({ 'Fn::GetAtt': [tableId(), 'StreamArn'] });

    it('gives the table a stream of new and old images (the build events compare statuses)', () => {
      expect(resources[tableId()]!.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    });

    it('reads that stream from its oldest record, one record per execution, with retries and a dead-letter queue', () => {
      const pipe = pipeOf().Properties;
      expect(pipe.Source).toEqual(streamArn());
      expect(pipe.SourceParameters.DynamoDBStreamParameters).toEqual({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 1,
        MaximumRetryAttempts: 10,
        DeadLetterConfig: { Arn: arnOf(s.id(s.stack.pipeDeadLetters)) },
      });
    });

    it('keeps inserted build items only, and starts the Express workflow asynchronously with the shared input template', () => {
      const pipe = pipeOf().Properties;
      expect(pipe.SourceParameters.FilterCriteria).toEqual({ Filters: [{ Pattern: JSON.stringify(BUILD_INSERT_FILTER) }] });
      expect(JSON.parse(pipe.SourceParameters.FilterCriteria.Filters[0].Pattern)).toEqual({
        eventName: ['INSERT'],
        dynamodb: { Keys: { SK: { S: [{ prefix: 'BUILD#' }] } } },
      });
      expect(pipe.Target).toEqual({ Ref: s.id(s.stack.stateMachine) });
      expect(pipe.TargetParameters).toEqual({
        InputTemplate: WORKFLOW_INPUT_TEMPLATE,
        StepFunctionStateMachineParameters: { InvocationType: 'FIRE_AND_FORGET' },
      });
    });

    it("has a role of least privilege: read this table's stream, start this state machine, send to its dead-letter queue", () => {
      const role = pipeOf().Properties.RoleArn['Fn::GetAtt'][0] as string;
      expect(resources[role]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'pipes.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
      expect(permissionsOf(s.template, role)).toEqual(
        [
          ...allow(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], streamArn()),
          ...allow(['dynamodb:ListStreams'], { 'Fn::Join': ['', [arnOf(tableId()), '/stream/*']] }),
          ...allow(['states:StartExecution'], { Ref: s.id(s.stack.stateMachine) }),
          ...allow(['sqs:SendMessage'], arnOf(s.id(s.stack.pipeDeadLetters))),
        ].sort(),
      );
    });

    it('keeps dead letters encrypted, over TLS only, for 14 days', () => {
      const queue = resources[s.id(s.stack.pipeDeadLetters)]!.Properties;
      expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    });
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

    it('has one integration per function, shared by its routes', () => {
      const integrations = Object.values(s.template.findResources('AWS::ApiGatewayV2::Integration')) as Json[];
      expect(integrations.map((integration) => integration.Properties.IntegrationUri['Fn::GetAtt'][0]).sort()).toEqual(
        ENTRIES.map((entry) => s.id(s.stack.functions[entry]!)).sort(),
      );
    });

    it.each(ENTRIES)('gives %s a timeout under its integration timeout, so the function answers before API Gateway gives up', (entry) => {
      const [integration] = Object.values(s.template.findResources('AWS::ApiGatewayV2::Integration')).filter(
        (candidate: Json) => candidate.Properties.IntegrationUri['Fn::GetAtt'][0] === s.id(s.stack.functions[entry]!),
      ) as Json[];
      const integrationTimeoutMs = integration!.Properties.TimeoutInMillis as number;
      expect(integrationTimeoutMs).toBeLessThanOrEqual(30_000); // HTTP APIs' limit
      expect((fnOf(entry).Timeout as number) * 1000).toBeLessThan(integrationTimeoutMs);
    });

    it("gives Build Status's retry budget, plus the reserve for its answer, less than its function's timeout", () => {
      const timeoutMs = (fnOf(STATUS).Timeout as number) * 1000;
      expect(STATUS_RETRY_BUDGET_MS + STATUS_RETRY_RESERVE_MS).toBeLessThan(timeoutMs);
      // An attempt is abandoned well inside the budget, so that several fit in it.
      expect(STATUS_ATTEMPT_TIMEOUT_MS * 3).toBeLessThanOrEqual(STATUS_RETRY_BUDGET_MS);
    });

    it("lets API Gateway invoke each function from this API only, for each of its routes' paths", () => {
      const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission')) as Json[];
      expect(permissions).toHaveLength(ROUTES.length + 1);
      const invocations = permissions.map((permission) => {
        expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
        const parts = permission.Properties.SourceArn['Fn::Join'][1] as unknown[];
        expect(parts).toContainEqual({ Ref: s.id(s.stack.api) });
        return `${permission.Properties.FunctionName['Fn::GetAtt'][0]} ${parts.at(-1)}`;
      });
      expect(invocations.sort()).toEqual(
        [...ROUTES.map((route) => `${s.id(s.stack.functions[route.entry]!)} /*/*${route.path}`), `${s.id(s.stack.functions[FALLBACK_ENTRY]!)} /*/*`].sort(),
      );
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

  it("outputs the API URL, table name, content bucket name, state machine ARN, the pipe's dead-letter queue, the alarm topic and the dashboard", () => {
    const outputs = s.template.toJSON().Outputs as Json;
    expect(Object.keys(outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'ContentBucketName',
      'DashboardName',
      'EventBusName',
      'PipeDeadLetterQueueUrl',
      'StateMachineArn',
      'TableName',
    ]);
    expect(outputs.PipeDeadLetterQueueUrl.Value).toEqual({ Ref: s.id(s.stack.pipeDeadLetters) });
    expect(outputs.TableName.Value).toEqual({ Ref: s.id(s.stack.table) });
    expect(outputs.ContentBucketName.Value).toEqual({ Ref: s.id(s.stack.contentBucket) });
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
  it('removalPolicy=destroy turns deletion protection off and deletes table, content bucket and logs with the stack', () => {
    const { stack, template, id } = synth({ removalPolicy: 'destroy' });
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }),
    });
    for (const logGroup of Object.values(template.findResources('AWS::Logs::LogGroup')) as Json[]) {
      expect(logGroup.DeletionPolicy).toBe('Delete');
    }
    const bucket = template.toJSON().Resources[id(stack.contentBucket)];
    expect(bucket.DeletionPolicy).toBe('Delete');
    expect(bucket.UpdateReplacePolicy).toBe('Delete');
    // CloudFormation deletes only an empty bucket: the stack empties it first.
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    template.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: id(stack.contentBucket) } });
  });

  it('passes maxContentBytes to the upload function only', () => {
    const s = synth({ maxContentBytes: '1000000' });
    const resources = s.template.toJSON().Resources;
    for (const entry of ENTRIES) {
      const environment = resources[s.id(s.stack.functions[entry]!)].Properties.Environment.Variables as Json;
      expect(environment.MAX_CONTENT_BYTES).toBe(entry === UPLOADS ? '1000000' : undefined);
    }
  });

  it('passes functionsDomain (lowercased) to the environments function only', () => {
    const s = synth({ functionsDomain: 'Functions.Example.com' });
    const resources = s.template.toJSON().Resources;
    for (const entry of ENTRIES) {
      const environment = resources[s.id(s.stack.functions[entry]!)].Properties.Environment.Variables as Json;
      expect(environment.FUNCTIONS_DOMAIN).toBe(entry === 'environments' ? 'functions.example.com' : undefined);
    }
  });

  it.each(['https://x.example.com', 'a..b', '-x.example.com', 'with space'])('fails the synth with functionsDomain=%s, naming the setting', (value) => {
    expect(() => synth({ functionsDomain: value })).toThrow('Context "functionsDomain" must be a domain name');
  });

  it.each(['0', String(DEFAULT_MAX_CONTENT_BYTES + 1), '4.5MB'])('fails the synth with maxContentBytes=%s, naming the setting', (value) => {
    expect(() => synth({ maxContentBytes: value })).toThrow(`Context "maxContentBytes" must be an integer from 1 to ${DEFAULT_MAX_CONTENT_BYTES}`);
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
    [{ maxContentBytes: '-1' }, /maxContentBytes/],
  ])('rejects %o', (context, message) => {
    const app = new App({ context });
    expect(() => settingsFromContext(app)).toThrow(message);
  });
});
