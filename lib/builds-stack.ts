import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, CfnOutput, Duration, Fn, RemovalPolicy, Stack, type StackProps, Tags, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpRoute, HttpRouteKey, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { FALLBACK_ENTRY, type FunctionEntry, ROUTES } from '../lambda/routes';
import { PARENT_INDEX, TABLE_KEY, TTL_ATTRIBUTE, UNREFERENCED_TAG } from '../lambda/store/keys';
import { BuildEvents } from './build-events-construct';
import { BUILD_INSERT_FILTER, PIPE_BATCH_SIZE, WORKFLOW_INPUT_TEMPLATE } from './build-outbox';
import { applyCfnLintExceptions } from './cfn-lint-exceptions';
import { pascalCase } from './construct-names';
import { Operations } from './operations';
import type { BuildsStackSettings } from './stack-config';
import { TABLE_STREAM_VIEW_TYPE } from './table-stream';
import { WORKFLOW_DEFINITION_FILE, type WorkflowSubstitutions } from './workflow-definition';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS_DIR = join(PROJECT_ROOT, 'lambda', 'handlers');

/** The one name the handlers log under (POWERTOOLS_SERVICE_NAME) and the project tag. */
export const SERVICE_NAME = 'twilio-serverless-builds';

/**
 * Memory of every function, sized from `npm run bench`: the create function's peak resident memory
 * after its cold start and 200 requests is 101 MB (a bare DynamoDB client: 88 MB). 128 MB would
 * leave under 30 MB of headroom and half the CPU share (Lambda's CPU grows with memory, which
 * shortens cold starts); 256 MB leaves 2.5 × and keeps creates at a few ms. Confirm on AWS from
 * the functions' `REPORT … Max Memory Used`.
 */
export const FUNCTION_MEMORY_MB = 256;

/** Every handler is one or two DynamoDB round trips; 10 s only bounds a stuck call. */
export const FUNCTION_TIMEOUT = Duration.seconds(10);

/**
 * Build Status retries transient DynamoDB failures for up to STATUS_RETRY_BUDGET_MS (22 s, plus a
 * 2 s reserve for the answer: lambda/handlers/fetch-build-status.ts) so that a deploy tool polling
 * it never sees a non-2xx during a blip; its timeout must exceed that and stay under API Gateway's
 * integration timeout, or API Gateway would answer a bare 503 before the function does.
 */
export const STATUS_FUNCTION_TIMEOUT = Duration.seconds(28);

/**
 * API Gateway's wait for each Lambda integration: CDK's upper bound for HTTP APIs (AWS allows 30 s).
 * Set explicitly so that the relation to the functions' timeouts is in the template.
 */
export const INTEGRATION_TIMEOUT = Duration.seconds(29);

export const LOG_RETENTION = RetentionDays.ONE_MONTH;

/**
 * The DynamoDB actions each function's handlers perform, from the lambda/store table modules: every
 * route reads its context with BatchGetItem (readContext), and an API key's item first with
 * GetItem (getApiKey, lambda/http/middleware.ts). Create Build writes the build with
 * PutItem, or with a TransactWriteItems of Puts (build, idempotency record), which IAM authorizes
 * as PutItem; it reads an idempotency record and a replayed build with GetItem, and nothing else:
 * the table's stream starts the workflow (buildPipe). List routes Query; deletes use conditional
 * DeleteItem. Services create with a TransactWriteItems of two Puts (service, unique name),
 * resolve a unique name with GetItem, update with UpdateItem, and delete with a transaction of
 * two Deletes, a Query of the service's partition and BatchWriteItem. Functions and assets Query
 * the `ByParent` index for their versions and delete them with BatchWriteItem. Environments write
 * in transactions of Puts, Updates and Deletes (reservations, deployments), list and delete their
 * children with Query and BatchWriteItem, and release a build with UpdateItem; no route uses
 * ConditionCheck items. test/infra/builds-stack.test.ts derives each list from the handler's code.
 */
const TABLE_ACTIONS: Record<FunctionEntry, string[]> = {
  services: [
    'dynamodb:BatchGetItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  functions: [
    'dynamodb:BatchGetItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  'upload-version': ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'],
  environments: [
    'dynamodb:BatchGetItem',
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
  ],
  'create-build': ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  'list-builds': ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
  'fetch-build': ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
  'delete-build': ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
  'fetch-build-status': ['dynamodb:BatchGetItem', 'dynamodb:GetItem'],
};

/**
 * The S3 actions each function performs on the content bucket (lambda/store/content.ts):
 * uploads put, then untag once the item points to the object (and remove the object again when
 * the item cannot be written); function content is
 * read by the functions function, which also deletes the content of deleted functions and assets;
 * deleting a service lists its prefix and deletes it.
 */
const CONTENT_ACTIONS: Partial<Record<FunctionEntry, { objects: string[]; bucket?: string[] }>> = {
  services: { objects: ['s3:DeleteObject'], bucket: ['s3:ListBucket'] },
  functions: { objects: ['s3:GetObject', 's3:DeleteObject'] },
  'upload-version': { objects: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject'] },
};

/** The object keys the functions may touch: every key is `services/<ServiceSid>/…` (keys.content, keys.serviceContentPrefix). */
const CONTENT_OBJECTS = 'services/*';

/** The functions that Query the `ByParent` index (a function's or asset's versions). */
const QUERIES_BY_PARENT: readonly FunctionEntry[] = ['functions'];

/** Uploads hold the content (up to 4.5 MB), its base64 text and the parsed parts at once. */
const FUNCTION_MEMORY_OVERRIDES: Partial<Record<FunctionEntry, number>> = { 'upload-version': 512 };

const FUNCTION_TIMEOUT_OVERRIDES: Partial<Record<FunctionEntry, Duration>> = { 'fetch-build-status': STATUS_FUNCTION_TIMEOUT };

/** The route whose builds are rate-limited per account and hour. */
const CREATES_BUILDS = 'create-build';

/**
 * ESM output needs a real `require` for the CommonJS dependencies esbuild bundles (they call
 * `require('node:…')` through esbuild's shim, which throws without one).
 */
const ESM_REQUIRE_BANNER = "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

/** How every function is bundled (bench/lib/bundle.ts bundles its own entries with the same options). */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Bundle the SDK v3 clients at the versions in package-lock.json (the ones the tests ran
  // with) instead of whatever version the Lambda runtime ships.
  bundleAwsSDK: true,
  externalModules: [],
  forceDockerBundling: false,
} satisfies BundlingOptions;

/** HTTP API access log line: no headers, no query strings, no bodies (they may carry credentials). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    httpMethod: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export interface BuildsStackProps extends StackProps {
  settings: BuildsStackSettings;
}

/** The Builds API: one DynamoDB table, a function per resource family behind an HTTP API, and the build workflow. */
export class BuildsStack extends Stack {
  readonly table: TableV2;
  readonly contentBucket: Bucket;
  readonly stateMachine: StateMachine;
  /** The EventBridge Pipe from the table's stream to the workflow, and the queue of the records it could not deliver. */
  readonly pipe: CfnPipe;
  readonly pipeDeadLetters: Queue;
  /** Build Completed / Build Failed / Deployment Created on the stack's event bus, from the same stream. */
  readonly buildEvents: BuildEvents;
  readonly api: HttpApi;
  readonly apiStage: HttpStage;
  /** The function of each ROUTES entry, and of FALLBACK_ENTRY. */
  readonly functions: Record<string, NodejsFunction> = {};
  /** The alarm topic, the alarms and the dashboard. */
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: BuildsStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const destroy = settings.removalPolicy === 'destroy';
    const removalPolicy = destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    Tags.of(this).add('Project', SERVICE_NAME);
    Tags.of(this).add('Stage', settings.stage);
    // The cfn-lint rules the template may break, each scoped to its resources (lib/cfn-lint-exceptions.json).
    applyCfnLintExceptions(this);

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE_KEY.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEY.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The AWS managed key (aws/dynamodb) rather than the default AWS owned key: every use of
      // the key is recorded in CloudTrail, at no monthly key cost and with no key policy to
      // administer. A customer managed key would only add value for cross-account key policies
      // or crypto-shredding, which this table does not need.
      encryption: TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // The outbox: every new build item starts its workflow through the stream (buildPipe); and
      // the build events (BuildEvents), which need the old image too to see a status change.
      dynamoStream: StreamViewType[TABLE_STREAM_VIEW_TYPE],
      deletionProtection: !destroy,
      removalPolicy,
      globalSecondaryIndexes: [
        {
          indexName: PARENT_INDEX.name,
          partitionKey: { name: PARENT_INDEX.partitionKey, type: AttributeType.STRING },
          sortKey: { name: PARENT_INDEX.sortKey, type: AttributeType.STRING },
        },
      ],
    });

    this.contentBucket = this.versionContentBucket(removalPolicy);
    this.stateMachine = this.buildWorkflow(settings, removalPolicy);
    [this.pipe, this.pipeDeadLetters] = this.buildPipe();
    this.buildEvents = new BuildEvents(this, 'BuildEvents', { table: this.table, stage: settings.stage, removalPolicy, logRetention: LOG_RETENTION });

    for (const entry of new Set(ROUTES.map((route) => route.entry))) {
      const routes = ROUTES.filter((route) => route.entry === entry);
      // A function of one route is named after its operation (CreateBuildFunction…), a family's after the family.
      const functionId = routes.length === 1 ? routes[0]!.id : pascalCase(entry);
      const content = CONTENT_ACTIONS[entry];
      const fn = this.handlerFunction(functionId, entry, settings, removalPolicy, {
        TABLE_NAME: this.table.tableName,
        // Empty (unset) on AWS; declared so that `sam local invoke --env-vars` can point them at
        // DynamoDB Local (SAM only overrides declared ones).
        DYNAMODB_ENDPOINT: '',
        BUILD_TTL_HOURS: String(settings.buildTtlHours),
        ...(settings.publicBaseUrl ? { PUBLIC_BASE_URL: settings.publicBaseUrl } : {}),
        ...(entry === CREATES_BUILDS ? { RATE_LIMIT_BUILDS_PER_HOUR: String(settings.rateLimitBuildsPerHour) } : {}),
        ...(content ? { CONTENT_BUCKET: this.contentBucket.bucketName, S3_ENDPOINT: '' } : {}),
        ...(entry === 'upload-version' ? { MAX_CONTENT_BYTES: String(settings.maxContentBytes) } : {}),
        ...(entry === 'environments' ? { FUNCTIONS_DOMAIN: settings.functionsDomain } : {}),
      });
      fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: TABLE_ACTIONS[entry], resources: [this.table.tableArn] }));
      if (QUERIES_BY_PARENT.includes(entry)) {
        fn.addToRolePolicy(
          new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${PARENT_INDEX.name}`] }),
        );
      }
      if (content) {
        fn.addToRolePolicy(
          new PolicyStatement({ effect: Effect.ALLOW, actions: content.objects, resources: [this.contentBucket.arnForObjects(CONTENT_OBJECTS)] }),
        );
        if (content.bucket)
          fn.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: content.bucket, resources: [this.contentBucket.bucketArn] }));
        // On the role's policy alone, for this one resource: any other wildcard still fails the synth.
        Validations.of(fn.role!.node.findChild('DefaultPolicy')).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.contentBucket.node.defaultChild as CfnBucket)}.Arn>/${CONTENT_OBJECTS}]`,
          reason:
            'Object keys are services/<ServiceSid>/versions/<VersionSid>, SIDs minted per request; the grant stops at the services/ prefix, the only one the API writes.',
        });
      }
      this.functions[entry] = fn;
    }
    // 404, 405 and CORS preflight: no table, no workflow.
    const fallback = this.handlerFunction('Fallback', FALLBACK_ENTRY, settings, removalPolicy, {});
    this.functions[FALLBACK_ENTRY] = fallback;

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: LOG_RETENTION, removalPolicy });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${SERVICE_NAME}-${settings.stage}`,
      description: 'Twilio-compatible Serverless Builds API',
      // No corsPreflight: the handlers answer CORS (preflight through the $default route), so
      // that error responses carry the same CORS headers as successful ones.
      createDefaultStage: false,
    });
    this.apiStage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.throttleRateLimit, burstLimit: settings.throttleBurstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    // One integration per function, shared by its routes.
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.entry);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascalCase(route.entry)}Integration`, this.functions[route.entry]!, { timeout: INTEGRATION_TIMEOUT });
        integrations.set(route.entry, integration);
      }
      const [routeResource] = this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
      Validations.of(routeResource!).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Twilio clients send HTTP Basic AccountSid:AuthToken (checked against the account item in the same BatchGetItem that loads the request context) or ApiKeySid:ApiKeySecret (checked against the API key item, read first with one consistent GetItem).',
      });
    }
    // The $default route: every method and path no route above takes.
    const defaultRoute = new HttpRoute(this.api, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('FallbackIntegration', fallback, { timeout: INTEGRATION_TIMEOUT }),
    });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The $default route only answers 404, 405 and CORS preflight and reads no data, so there is nothing to authorize.',
    });

    this.operations = new Operations(this, 'Operations', {
      api: this.api,
      functions: this.functions,
      stateMachine: this.stateMachine,
      table: this.table,
      pipes: [
        { id: 'BuildPipe', pipe: this.pipe, deadLetterQueue: this.pipeDeadLetters },
        { id: 'EventsPipe', pipe: this.buildEvents.pipe, deadLetterQueue: this.buildEvents.deadLetterQueue },
      ],
      buildOutcomes: { completed: this.buildEvents.metricBuildsCompleted(), failed: this.buildEvents.metricBuildsFailed() },
      serviceName: SERVICE_NAME,
      alarmEmail: settings.alarmEmail,
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.apiStage.url, description: 'Base URL of the Builds API (point twilio-node or serverless-api here)' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ContentBucketName', { value: this.contentBucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
    new CfnOutput(this, 'PipeDeadLetterQueueUrl', { value: this.pipeDeadLetters.queueUrl, description: 'Stream records whose workflow could not be started' });
    new CfnOutput(this, 'EventBusName', {
      value: this.buildEvents.bus.eventBusName,
      description: 'The bus of Build Completed, Build Failed and Deployment Created events',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.operations.alarmTopic.topicArn, description: 'Every alarm notifies this topic (subscribe to it)' });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName });
  }

  /**
   * The outbox's delivery: an EventBridge Pipe reads the table's stream, keeps inserted build
   * items (BUILD_INSERT_FILTER: filtered before billing) and starts the Express workflow with
   * each one's input (WORKFLOW_INPUT_TEMPLATE), asynchronously. The same filter and template drive
   * the local stream poller (local/stream-poller.ts). A record whose start keeps failing goes to
   * a dead-letter queue after the retries (its build then stays `building` until its TTL: the
   * queue is the alarm). Its role may read this table's stream, start this state machine and
   * send to this queue, nothing else.
   */
  private buildPipe(): [CfnPipe, Queue] {
    const deadLetters = new Queue(this, 'PipeDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the build pipe.',
    });
    const role = new Role(this, 'BuildPipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: `Starts the build workflow of each new build of ${SERVICE_NAME}`,
    });
    const streamArn = this.table.tableStreamArn!;
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:ListStreams'], resources: [`${this.table.tableArn}/stream/*`] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] }));
    role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [deadLetters.queueArn] }));
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(this.table.node.defaultChild as CfnElement)}.Arn>/stream/*]`,
      reason: "dynamodb:ListStreams takes the table's stream/* pattern: the stream's label is minted by DynamoDB when the stream is enabled.",
    });
    const pipe = new CfnPipe(this, 'BuildPipe', {
      description: 'Starts the build workflow of every build item inserted in the table (the outbox)',
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          // From the oldest record kept: builds written before the pipe existed are not skipped.
          startingPosition: 'TRIM_HORIZON',
          batchSize: PIPE_BATCH_SIZE,
          maximumRetryAttempts: 10,
          deadLetterConfig: { arn: deadLetters.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(BUILD_INSERT_FILTER) }] },
      },
      target: this.stateMachine.stateMachineArn,
      targetParameters: {
        inputTemplate: WORKFLOW_INPUT_TEMPLATE,
        stepFunctionStateMachineParameters: { invocationType: 'FIRE_AND_FORGET' },
      },
    });
    // A pipe checks its role's permissions when it is created: its policy first. (The role itself
    // comes first anyway: the pipe names it by GetAtt; a DependsOn on it is redundant, cfn-lint W3005.)
    pipe.node.addDependency(role.node.findChild('DefaultPolicy'));
    return [pipe, deadLetters];
  }

  /**
   * The build workflow, from the one shared ASL file.
   *
   * EXPRESS, not STANDARD, for cost (bench/cost.json, `npm run bench`): Standard bills $0.025 per
   * 1,000 state transitions and a build takes 6 (Pass, Choice, Wait, two UpdateItems, Succeed):
   * $150 per million builds for the workflow alone. Express bills $1 per million requests plus
   * the duration at 64 MB, the 10 s wait included: about $11.5 per million. Express runs an
   * execution at least once and does not dedupe names; that is safe here because every step is a
   * conditional UpdateItem (`building` → final), so a second run of a build's workflow finds it no
   * longer `building` and ends. Its 5-minute cap bounds `buildWaitSeconds` (MAX_BUILD_WAIT_SECONDS)
   * and the definition's TimeoutSeconds.
   */
  private buildWorkflow(settings: BuildsStackSettings, removalPolicy: RemovalPolicy): StateMachine {
    const substitutions: WorkflowSubstitutions = {
      TableName: this.table.tableName,
      BuildWaitSeconds: String(settings.buildWaitSeconds),
    };
    const stateMachine = new StateMachine(this, 'BuildWorkflow', {
      stateMachineType: StateMachineType.EXPRESS,
      // Inline (fromString of the file) rather than DefinitionBody.fromFile, which uploads the
      // file as an S3 asset: inline, `cdk diff` shows workflow changes and the template alone
      // says what will run. The text is the shared file's, unchanged.
      definitionBody: DefinitionBody.fromString(readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8')),
      definitionSubstitutions: { ...substitutions },
      tracingEnabled: true,
      logs: {
        // Under /aws/vendedlogs/ so that log delivery does not grow the account's CloudWatch Logs
        // resource policy (5,120 characters) by one ARN per log group. The stack's UUID makes the
        // name unique to this stack instance: a log group retained from a deleted stack cannot
        // collide with the one of a new stack of the same name.
        destination: new LogGroup(this, 'BuildWorkflowLogs', {
          logGroupName: `/aws/vendedlogs/states/${this.stackName}-BuildWorkflow-${Fn.select(2, Fn.split('/', this.stackId))}`,
          retention: LOG_RETENTION,
          removalPolicy,
        }),
        // Express keeps no execution history: the logs are it. ERROR logs the failed builds
        // (retired runtimes, exhausted retries) without paying ingestion for every build.
        level: LogLevel.ERROR,
        // Execution data holds account and service SIDs; state names and errors suffice.
        includeExecutionData: false,
      },
      // Not retained: a state machine holds no data, and a retained one would outlive its table.
    });
    // The definition's only Task resource is arn:aws:states:::dynamodb:updateItem on the table.
    stateMachine.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    Validations.of(stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:*LogDelivery*, PutResourcePolicy, Describe*) and X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) actions support no resource-level permissions.',
    });
    Validations.of(stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Logs at ERROR: every failed build is logged, while logging ALL events of every successful Express execution would cost about as much as the workflow itself; X-Ray traces every execution.',
    });
    return stateMachine;
  }

  /**
   * The bucket of version content: private (all public access blocked, bucket-owner objects, no
   * ACLs), TLS only, SSE-S3 encrypted. Uploads tag their object `unreferenced=true` until the
   * version item that points to it is written; a lifecycle rule expires objects still tagged so
   * after a day, so content whose upload died before its item was written does not linger.
   */
  private versionContentBucket(removalPolicy: RemovalPolicy): Bucket {
    const bucket = new Bucket(this, 'ContentBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      encryption: BucketEncryption.S3_MANAGED,
      removalPolicy,
      // CloudFormation cannot delete a bucket that holds objects: with `destroy`, a custom
      // resource empties it first, so that deleting a throwaway stage does not fail on its content.
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
      lifecycleRules: [
        { id: 'ExpireUnreferencedContent', tagFilters: { [UNREFERENCED_TAG.key]: UNREFERENCED_TAG.value }, expiration: Duration.days(1) },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every read and write of the bucket goes through the API, whose access logs and function logs record it; server access logs would duplicate them at extra cost.',
    });
    return bucket;
  }

  /** One route's function: its own role (logs to its own log group), bundled from lambda/handlers/<entry>.ts. */
  private handlerFunction(
    id: string,
    entry: string,
    settings: BuildsStackSettings,
    removalPolicy: RemovalPolicy,
    environment: Record<string, string>,
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: LOG_RETENTION, removalPolicy });
    // An explicit role instead of AWSLambdaBasicExecutionRole, whose logs actions apply to every
    // log group in the account: this one may write only to the function's own log group.
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${id} function of ${SERVICE_NAME}`,
    });
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const fn = new NodejsFunction(this, `${id}Function`, {
      entry: join(HANDLERS_DIR, `${entry}.ts`),
      handler: 'handler',
      description: `${SERVICE_NAME} ${id} (${settings.stage})`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_OVERRIDES[entry as FunctionEntry] ?? FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT_OVERRIDES[entry as FunctionEntry] ?? FUNCTION_TIMEOUT,
      // No active tracing: HTTP APIs pass no trace context, so each trace would be this one
      // function alone, with no SDK calls in it unless every bundle carried the X-Ray SDK
      // (docs/operations.md, "Metrics and tracing"). The workflow keeps X-Ray.
      role,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      // awsSdkConnectionReuse is left unset: it only sets AWS_NODEJS_CONNECTION_REUSE_ENABLED, an
      // SDK v2 switch; SDK v3 (used here) keeps connections alive by default.
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        CORS_ALLOWED_ORIGINS: settings.corsAllowedOrigins,
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
      bundling: BUNDLING,
    });
    return fn;
  }
}
