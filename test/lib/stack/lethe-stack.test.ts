/**
 * The Lethe stack for examples/dh-solutions.yaml (10 purposes; dynamodb, s3 and http systems), synthesized once
 * with cdk-nag on (a finding would fail the synth), and asserted point by point against issue 3.
 */
import { REQUEST_LIST_INDEX } from '../../../lib/runtime/request-list';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { GLOBAL_SERVICE_ACTIONS } from '../../../lib/policy/regions';
import { API_BODY_SCHEMAS } from '../../../lib/runtime/api-schemas';
import { API_ROUTES } from '../../../lib/runtime/routes';
import { AUDIT_CHAIN, ENV, LEDGER, METRICS, REQUESTS } from '../../../lib/core/contract';
import { aslPlaceholders } from '../../../lib/stack/asl-state-machine';
import { S3_CONNECTOR_BUCKET_ACTIONS, S3_CONNECTOR_OBJECT_ACTIONS } from '../../../lib/stack/connector-functions';
import { REGION_PINNING_POLICY_NAME } from '../../../lib/stack/region-pinning';
import { DUE_INDEX_ATTRIBUTES, PARKED_INDEX_ATTRIBUTES } from '../../../lib/stack/table-specs';
import {
  actionsOf,
  type CfnTemplate,
  flatten,
  functionOfService,
  functionWithEnv,
  grantsOfFunction,
  ROOT,
  referencedIds,
  resourcesOf,
  resourcesOfType,
  roleOfFunction,
  type Synthesized,
  statementsOfRole,
  synthLethe,
} from './synth';

jest.setTimeout(120_000);

const PURPOSES = [
  'customer-relationship',
  'customer-identification',
  'service-messages',
  'support',
  'marketing-email',
  'bookkeeping',
  'social-media',
  'web-analytics',
  'infrastructure-logs',
  'identity-verification',
];
const RUNTIME = [
  'api',
  'subject-events',
  'erasure-plan',
  'erasure-system',
  'erasure-finish',
  'sweep-read',
  'sweep-apply',
  'ledger-stream',
  'deadline-monitor',
  'replay',
];
const CONNECTOR_SYSTEMS = {
  crm: 'dynamodb',
  accounting: 'http',
  'support-desk': 'http',
  newsletter: 'http',
  'social-media': 'http',
  analytics: 'http',
  'infra-logs': 's3',
  'dsr-id-documents': 's3',
};

let s: Synthesized;
let json: CfnTemplate;
beforeAll(() => {
  // GIVEN the dh-solutions example WHEN the app is synthesized as `npx cdk synth` does (cdk-nag included)
  s = synthLethe({ policyFile: 'examples/dh-solutions.yaml' });
  json = s.json;
});

const dataKeyId = (): string => {
  const keys = resourcesOfType(json, 'AWS::KMS::Key').filter(([, r]) => /data at rest/.test(r.Properties?.Description));
  expect(keys).toHaveLength(1);
  return keys[0][0];
};

const ledgerTables = () =>
  resourcesOfType(json, 'AWS::DynamoDB::Table').filter(([, r]) =>
    (r.Properties?.KeySchema as { AttributeName: string }[]).some((k) => k.AttributeName === LEDGER.sortKey),
  );

describe('retention ledger', () => {
  it('has one table per purpose, keyed subjectRef/system, with the sparse due and parked indexes', () => {
    // THEN one ledger table per purpose, each with the due GSI (dueShard S, dueAt N) projecting what operators read,
    // and the parked GSI (parkedShard S, no sort key) projecting what GET /retention/holdings reads
    expect(ledgerTables()).toHaveLength(PURPOSES.length);
    s.template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        KeySchema: [
          { AttributeName: LEDGER.partitionKey, KeyType: 'HASH' },
          { AttributeName: LEDGER.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: LEDGER.dueIndex,
            KeySchema: [
              { AttributeName: LEDGER.dueShardAttribute, KeyType: 'HASH' },
              { AttributeName: LEDGER.dueAtAttribute, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...DUE_INDEX_ATTRIBUTES] },
          },
          {
            IndexName: LEDGER.parkedIndex,
            KeySchema: [{ AttributeName: LEDGER.parkedShardAttribute, KeyType: 'HASH' }],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...PARKED_INDEX_ATTRIBUTES] },
          },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: LEDGER.dueShardAttribute, AttributeType: 'S' },
          { AttributeName: LEDGER.dueAtAttribute, AttributeType: 'N' },
          { AttributeName: LEDGER.parkedShardAttribute, AttributeType: 'S' },
        ]),
      },
      PURPOSES.length,
    );
  });

  it('gives every ledger table TTL, a NEW_AND_OLD_IMAGES stream, PITR, the CMK, deletion protection, RETAIN, on-demand', () => {
    for (const [id, table] of ledgerTables()) {
      expect({ id, ...table.Properties }).toMatchObject({
        TimeToLiveSpecification: { AttributeName: LEDGER.ttlAttribute, Enabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } },
        DeletionProtectionEnabled: true,
        BillingMode: 'PAY_PER_REQUEST',
      });
      expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
  });

  it('names each purpose’s table to the functions in LETHE_LEDGER_TABLES', () => {
    const api = json.Resources[functionOfService(json, 'lethe-api')];
    const mapping = flatten(api.Properties!.Environment.Variables.LETHE_LEDGER_TABLES);
    const tableIds = new Set(ledgerTables().map(([id]) => id));
    for (const purpose of PURPOSES) expect(mapping).toMatch(new RegExp(`"${purpose}":"\\{(\\w+)\\}"`));
    const referenced = [...mapping.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(new Set(referenced)).toEqual(tableIds);
  });

  it('has the tables beside it: subject events, erasure requests (open-by-deadline and by-subject indexes), idempotency, audit chain', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'subjectRef', KeyType: 'HASH' },
        { AttributeName: 'eventKey', KeyType: 'RANGE' },
      ],
    });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: REQUESTS.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: REQUESTS.openIndex,
          KeySchema: [
            { AttributeName: REQUESTS.openAttribute, KeyType: 'HASH' },
            { AttributeName: REQUESTS.deadlineAttribute, KeyType: 'RANGE' },
          ],
        }),
        {
          IndexName: REQUESTS.subjectIndex,
          KeySchema: [
            { AttributeName: REQUESTS.subjectAttribute, KeyType: 'HASH' },
            { AttributeName: REQUESTS.receivedAtAttribute, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: REQUEST_LIST_INDEX.name,
          KeySchema: [
            { AttributeName: REQUEST_LIST_INDEX.partitionKey, KeyType: 'HASH' },
            { AttributeName: REQUESTS.receivedAtAttribute, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...REQUEST_LIST_INDEX.nonKeyAttributes] },
        },
      ],
    });
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
    });
    // 7 ledger + events + requests + idempotency + audit chain + tombstones (issue 19), all encrypted, recoverable and
    // protected
    s.template.resourcePropertiesCountIs(
      'AWS::DynamoDB::Table',
      {
        SSESpecification: Match.objectLike({ SSEType: 'KMS' }),
        PointInTimeRecoverySpecification: Match.objectLike({ PointInTimeRecoveryEnabled: true }),
        DeletionProtectionEnabled: true,
      },
      PURPOSES.length + 5,
    );
    s.template.resourceCountIs('AWS::DynamoDB::Table', PURPOSES.length + 5);
  });

  it('replicates nothing: no global tables, no replicas, no bucket replication', () => {
    s.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    for (const [, r] of resourcesOfType(json, 'AWS::DynamoDB::Table')) expect(r.Properties).not.toHaveProperty('Replicas');
    for (const [, r] of resourcesOfType(json, 'AWS::S3::Bucket')) expect(r.Properties).not.toHaveProperty('ReplicationConfiguration');
  });
});

describe('audit bucket', () => {
  const auditBucket = () => {
    const found = resourcesOfType(json, 'AWS::S3::Bucket').filter(([, r]) => r.Properties?.ObjectLockEnabled === true);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('locks every record in COMPLIANCE mode for 7 years, versioned, SSE-KMS with the CMK, no public access', () => {
    const [, bucket] = auditBucket();
    // the whole object: CloudFormation refuses Days and Years together, so a stray key must fail here
    expect(bucket.Properties!.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } },
    });
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    // kept when the stack is deleted; an empty bucket of a failed first create is deleted (test/lib/stack/redeploy.test.ts)
    expect([bucket.DeletionPolicy, bucket.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
  });

  it('moves records to a cheaper storage class after 90 days', () => {
    const [, bucket] = auditBucket();
    expect(bucket.Properties!.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }], Status: 'Enabled' }),
      ]),
    );
  });

  it('accepts TLS only, on both buckets', () => {
    for (const [id] of resourcesOfType(json, 'AWS::S3::Bucket')) {
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('logs server access to a separate bucket that is itself locked down', () => {
    const [id, bucket] = auditBucket();
    const target = bucket.Properties!.LoggingConfiguration.DestinationBucketName.Ref as string;
    expect(target).not.toBe(id);
    expect(json.Resources[target].Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });
});

describe('state machines', () => {
  const machines = () => resourcesOfType(json, 'AWS::StepFunctions::StateMachine');
  const machineWith = (substitution: string) => {
    const found = machines().filter(([, r]) => substitution in (r.Properties?.DefinitionSubstitutions ?? {}));
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('builds the erasure, the sweep and the replay workflow as Standard state machines from the ASL files', () => {
    expect(machines()).toHaveLength(3);
    for (const [name, file] of [
      ['ErasurePlanFunctionArn', 'erasure.asl.json'],
      ['SweepReadFunctionArn', 'sweep.asl.json'],
      ['ReplayFunctionArn', 'replay.asl.json'],
    ] as const) {
      const [, machine] = machineWith(name);
      expect(machine.Properties!.StateMachineType).toBe('STANDARD');
      // every placeholder of the file has a substitution, and there is none the file does not use
      const placeholders = aslPlaceholders(readFileSync(path.join(ROOT, 'statemachines', file), 'utf8'));
      expect(Object.keys(machine.Properties!.DefinitionSubstitutions).sort()).toEqual(placeholders);
    }
  });

  it('logs every state machine to a CMK-encrypted log group, execution data excluded, with X-Ray on', () => {
    for (const [, machine] of machines()) {
      const logging = machine.Properties!.LoggingConfiguration;
      // Failures only by default (issue 16); workflowLogLevel sets another (test/lib/stack/asl-state-machine.test.ts)
      expect(logging).toMatchObject({ IncludeExecutionData: false, Level: 'ERROR' });
      const group = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
      expect(json.Resources[group].Properties).toMatchObject({ KmsKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
      expect(machine.Properties!.TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('lets each state machine invoke exactly the functions it substitutes, and nothing else', () => {
    for (const [, machine] of machines()) {
      const roleId = machine.Properties!.RoleArn['Fn::GetAtt'][0] as string;
      const substituted = Object.values(machine.Properties!.DefinitionSubstitutions).map(
        (v) => (v as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      );
      const invoke = statementsOfRole(json, roleId).filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
      expect(invoke).toHaveLength(1);
      expect(
        resourcesOf(invoke[0])
          .map((r) => (r as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0])
          .sort(),
      ).toEqual(substituted.sort());
    }
  });

  it('gives the sweep what a Distributed Map of child executions needs, limited to its own executions', () => {
    const [sweepId, sweep] = machineWith('SweepApplyFunctionArn');
    const name = sweep.Properties!.StateMachineName as string;
    const statements = statementsOfRole(json, sweep.Properties!.RoleArn['Fn::GetAtt'][0]);
    const start = statements.find((st) => actionsOf(st).includes('states:StartExecution'));
    expect(start?.Resource).toEqual({ Ref: sweepId });
    const manage = statements.find((st) => actionsOf(st).includes('states:DescribeExecution'));
    expect(actionsOf(manage!).sort()).toEqual(['states:DescribeExecution', 'states:StopExecution']);
    expect(flatten(manage!.Resource)).toMatch(new RegExp(`:states:eu-north-1:\\{AWS::AccountId\\}:execution:${name}:\\*$`));
    // the erasure workflow has no Distributed Map and gets none of this
    const [, erasure] = machineWith('ErasurePlanFunctionArn');
    expect(
      statementsOfRole(json, erasure.Properties!.RoleArn['Fn::GetAtt'][0])
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('states:')),
    ).toEqual([]);
  });
});

describe('functions', () => {
  it('runs every function (10 runtime + 7 connectors) on Node 22, ARM64, X-Ray active, with Powertools settings', () => {
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(RUNTIME.length + Object.keys(CONNECTOR_SYSTEMS).length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_METRICS_NAMESPACE: METRICS.namespace,
            POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^lethe-/),
          }),
        },
      });
      // its own log group, encrypted, with a retention
      const group = json.Resources[fn.Properties!.LoggingConfig.LogGroup.Ref];
      expect(group.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
    }
    for (const entry of RUNTIME) functionOfService(json, `lethe-${entry}`);
  });

  it('gives no function role an AWS managed policy', () => {
    for (const [id] of resourcesOfType(json, 'AWS::Lambda::Function')) {
      expect(json.Resources[roleOfFunction(json, id)].Properties).not.toHaveProperty('ManagedPolicyArns');
    }
  });

  it.each(['lethe-api', 'lethe-deadline-monitor'])('lets %s start erasure executions and nothing else in Step Functions', (service) => {
    const fn = functionOfService(json, service);
    const grants = grantsOfFunction(json, fn).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    expect(grants.flatMap(actionsOf)).toEqual(['states:StartExecution']);
    const [erasureId] = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').find(
      ([, r]) => 'ErasurePlanFunctionArn' in r.Properties!.DefinitionSubstitutions,
    )!;
    expect(grants[0].Resource).toEqual({ Ref: erasureId });
    expect(json.Resources[fn].Properties!.Environment.Variables[ENV.erasureStateMachineArn]).toEqual({ Ref: erasureId });
  });

  it('lets the deadline monitor read a request by its id (to start one the API could not), and write none', () => {
    const dynamo = grantsOfFunction(json, functionOfService(json, 'lethe-deadline-monitor')).flatMap((st) =>
      actionsOf(st).filter((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toContain('dynamodb:GetItem');
    expect(dynamo.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });

  it('lets erasure-finish write the audit records, and erasure-system none', () => {
    // The audit bucket is the one with Object Lock (erasure-system may write access exports to the exports bucket).
    const auditBucket = resourcesOfType(json, 'AWS::S3::Bucket').find(([, r]) => r.Properties?.ObjectLockEnabled === true)![0];
    const writesAudit = (service: string) =>
      grantsOfFunction(json, functionOfService(json, service)).some(
        (st) => actionsOf(st).includes('s3:PutObject') && JSON.stringify(st.Resource).includes(auditBucket),
      );
    expect(writesAudit('lethe-erasure-finish')).toBe(true);
    // the api audits placing and releasing legal holds (lib/runtime/holds.ts)
    expect(writesAudit('lethe-api')).toBe(true);
    expect(writesAudit('lethe-erasure-system')).toBe(false);
    // AND the finish can open the request's sealed subject (for its audit HMAC) and finish holdings in the ledger
    const finish = grantsOfFunction(json, functionOfService(json, 'lethe-erasure-finish')).flatMap(actionsOf);
    expect(finish).toEqual(expect.arrayContaining(['kms:Decrypt', 'secretsmanager:GetSecretValue', 'dynamodb:UpdateItem']));
  });

  it("lets erasure-finish write the subject's events (it records the built-in request-handled, spec 2.4)", () => {
    const finishGrants = grantsOfFunction(json, functionOfService(json, 'lethe-erasure-finish'));
    const eventsTable = resourcesOfType(json, 'AWS::DynamoDB::Table').find(
      ([, r]) => (r.Properties?.KeySchema as { AttributeName: string }[] | undefined)?.[1]?.AttributeName === 'eventKey',
    )![0];
    expect(
      finishGrants.some(
        (st) =>
          actionsOf(st).includes('dynamodb:PutItem') &&
          resourcesOf(st)
            .map(flatten)
            .some((r) => r.includes(eventsTable)),
      ),
    ).toBe(true);
  });

  it("lets the api query the requests table's by-subject (GET /subjects/{subjectId}) and by-status (GET /requests) indexes and each purpose's due and parked indexes (GET /retention/...), and no other index", () => {
    // GIVEN the api's grants WHEN the Query statements on indexes are read THEN those are the only ones
    const indexes = grantsOfFunction(json, functionOfService(json, 'lethe-api'))
      .filter((st) => actionsOf(st).includes('dynamodb:Query'))
      .flatMap(resourcesOf)
      .map(flatten)
      .filter((r) => r.includes('/index/'));
    const named = (index: string) => indexes.filter((r) => r.endsWith(`/index/${index}`));
    expect(named(REQUESTS.subjectIndex)).toHaveLength(1);
    expect(named(REQUEST_LIST_INDEX.name)).toHaveLength(1);
    expect(named(LEDGER.dueIndex)).toHaveLength(PURPOSES.length);
    expect(named(LEDGER.parkedIndex)).toHaveLength(PURPOSES.length);
    expect(indexes).toHaveLength(2 + 2 * PURPOSES.length);
  });

  it('lets sweep-read query the due index and nothing else', () => {
    const grants = grantsOfFunction(json, functionOfService(json, 'lethe-sweep-read')).filter(
      (st) => !actionsOf(st).some((a) => a.startsWith('kms:')),
    );
    expect(grants.flatMap(actionsOf)).toEqual(['dynamodb:Query']);
    const resources = grants.flatMap(resourcesOf).map(flatten);
    expect(resources).toHaveLength(PURPOSES.length);
    for (const r of resources) expect(r).toMatch(new RegExp(`/index/${LEDGER.dueIndex}$`));
  });

  it('wires the ledger streams to ledger-stream for TTL removals only, failures to an encrypted queue', () => {
    const ledgerStream = functionOfService(json, 'lethe-ledger-stream');
    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(PURPOSES.length);
    const streams = new Set(ledgerTables().map(([id]) => id));
    for (const [, m] of mappings) {
      expect(m.Properties).toMatchObject({
        FunctionName: { Ref: ledgerStream },
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
      expect(streams.has(m.Properties!.EventSourceArn['Fn::GetAtt'][0])).toBe(true);
      expect(JSON.parse(m.Properties!.FilterCriteria.Filters[0].Pattern)).toEqual({
        eventName: ['REMOVE'],
        userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] },
      });
      const queue = m.Properties!.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
      expect(json.Resources[queue].Properties).toHaveProperty('KmsMasterKeyId');
    }
  });
});

describe('connectors: one function per system, each reaching only its own system', () => {
  const connector = (system: string) => functionWithEnv(json, 'LETHE_SYSTEM', system);
  const touched = (system: string) => grantsOfFunction(json, connector(system)).flatMap(resourcesOf).map(flatten);

  it('creates one connector function per dynamodb/s3/http system, with its system and config', () => {
    for (const [system] of Object.entries(CONNECTOR_SYSTEMS)) {
      const env = json.Resources[connector(system)].Properties!.Environment.Variables;
      expect(JSON.parse(env.LETHE_CONNECTOR_CONFIG)).toEqual(expect.any(Object));
    }
  });

  it('lets the dynamodb connector (crm) reach its table only', () => {
    const grants = grantsOfFunction(json, connector('crm'));
    expect(grants.flatMap(actionsOf).every((a) => a.startsWith('dynamodb:'))).toBe(true);
    expect(touched('crm')).toEqual([expect.stringMatching(/:dynamodb:eu-north-1:\{AWS::AccountId\}:table\/dh-solutions-customers$/)]);
  });

  it('lets an s3 connector (infra-logs) list and erase under its bucket and fixed prefix only', () => {
    const grants = grantsOfFunction(json, connector('infra-logs'));
    expect(grants.flatMap(actionsOf).sort()).toEqual([...S3_CONNECTOR_BUCKET_ACTIONS, ...S3_CONNECTOR_OBJECT_ACTIONS].sort());
    expect(touched('infra-logs').sort()).toEqual([
      'arn:{AWS::Partition}:s3:::dh-solutions-infra-logs',
      'arn:{AWS::Partition}:s3:::dh-solutions-infra-logs/access-logs/*',
    ]);
    const list = grants.find((st) => actionsOf(st).includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['access-logs/*'] } });
  });

  it('keeps the s3 connector away from the dynamodb table and the other bucket (and vice versa)', () => {
    expect(touched('infra-logs').some((r) => /dynamodb|dh-solutions-dsr/.test(r))).toBe(false);
    expect(touched('dsr-id-documents').some((r) => r.includes('infra-logs'))).toBe(false);
    expect(touched('crm').some((r) => /:s3:|secretsmanager/.test(r))).toBe(false);
  });

  it('lets an http connector read its own webhook secret only, with reserved concurrency to protect the SaaS', () => {
    for (const [system, secret] of [
      ['accounting', 'lethe/accounting-webhook'],
      ['newsletter', 'lethe/newsletter-webhook'],
    ]) {
      const grants = grantsOfFunction(json, connector(system));
      expect(grants.flatMap(actionsOf)).toEqual(['secretsmanager:GetSecretValue']);
      expect(touched(system)).toEqual([
        expect.stringMatching(new RegExp(`:secretsmanager:eu-north-1:\\{AWS::AccountId\\}:secret:${secret}-\\?{6}$`)),
      ]);
      expect(json.Resources[connector(system)].Properties!.ReservedConcurrentExecutions).toBe(5);
    }
    for (const system of ['crm', 'infra-logs'])
      expect(json.Resources[connector(system)].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  // the api since restriction lifts (POST /restriction-requests/{requestId}/lift unrestricts: lib/runtime/restrictions.ts)
  it('lets only the api, erasure-system, sweep-apply, ledger-stream and replay invoke connectors, and exactly the connectors', () => {
    const connectorIds = Object.keys(CONNECTOR_SYSTEMS).map(connector).sort();
    const invokers = RUNTIME.filter((entry) =>
      grantsOfFunction(json, functionOfService(json, `lethe-${entry}`)).some((st) => actionsOf(st).includes('lambda:InvokeFunction')),
    );
    expect(invokers.sort()).toEqual(['api', 'erasure-system', 'ledger-stream', 'replay', 'sweep-apply']);
    for (const entry of invokers) {
      const invoke = grantsOfFunction(json, functionOfService(json, `lethe-${entry}`)).filter((st) =>
        actionsOf(st).includes('lambda:InvokeFunction'),
      );
      expect([...referencedIds(invoke.map((st) => st.Resource))].sort()).toEqual(connectorIds);
      expect(
        invoke
          .flatMap(resourcesOf)
          .map(flatten)
          .some((r) => r.endsWith(':*')),
      ).toBe(false);
    }
  });
});

describe('replay after a restore (issue 19, item 3)', () => {
  const tombstoneKey = () => resourcesOfType(json, 'AWS::KMS::Key').find(([id]) => id.startsWith('ReplayTombstoneKey'))![0];
  const keyUsers = () =>
    RUNTIME.filter((entry) =>
      grantsOfFunction(json, functionOfService(json, `lethe-${entry}`)).some((st) => referencedIds(resourcesOf(st)).has(tombstoneKey())),
    );

  it('lets only the tombstone writers and replay use the tombstone key, and only under the tombstone encryption context', () => {
    expect(keyUsers().sort()).toEqual(['erasure-finish', 'erasure-system', 'ledger-stream', 'replay', 'sweep-apply']);
    for (const entry of keyUsers()) {
      const grants = grantsOfFunction(json, functionOfService(json, `lethe-${entry}`)).filter((st) =>
        referencedIds(resourcesOf(st)).has(tombstoneKey()),
      );
      for (const st of grants) {
        expect(actionsOf(st).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
        expect(st.Condition).toEqual({ StringEquals: { 'kms:EncryptionContext:lethe:use': 'tombstone' } });
      }
    }
  });

  it('keeps the tombstones table with TTL on expiration and a one-day point-in-time recovery window', () => {
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 1 },
    });
  });
});

describe('erasure API', () => {
  const methods = () => resourcesOfType(json, 'AWS::ApiGateway::Method');
  const pathOf = (resourceId: unknown): string => {
    const parts: string[] = [];
    let ref = resourceId as { Ref?: string; 'Fn::GetAtt'?: string[] };
    while (ref.Ref) {
      const r = json.Resources[ref.Ref];
      parts.unshift(r.Properties!.PathPart);
      ref = r.Properties!.ParentId;
    }
    return `/${parts.join('/')}`;
  };

  it('has exactly the routes of the API, each a Lambda proxy to lambdas/api.ts', () => {
    const api = functionOfService(json, 'lethe-api');
    const routes = methods().map(([, m]) => `${m.Properties!.HttpMethod} ${pathOf(m.Properties!.ResourceId)}`);
    expect(routes.sort()).toEqual([
      'GET /access-requests/{requestId}',
      'GET /access-requests/{requestId}/receipt',
      'GET /erasure-requests/{requestId}',
      'GET /erasure-requests/{requestId}/receipt',
      'GET /requests',
      'GET /restriction-requests/{requestId}',
      'GET /restriction-requests/{requestId}/receipt',
      'GET /retention/calendar',
      'GET /retention/holdings',
      'GET /subjects/{subjectId}',
      'GET /subjects/{subjectId}/holds',
      'POST /access-requests',
      'POST /access-requests/{requestId}/extend',
      'POST /erasure-requests',
      'POST /erasure-requests/{requestId}/extend',
      'POST /restriction-requests',
      'POST /restriction-requests/{requestId}/extend',
      'POST /restriction-requests/{requestId}/lift',
      'POST /subjects/{subjectId}/events',
      'POST /subjects/{subjectId}/holdings',
      'POST /subjects/{subjectId}/holds',
      'POST /subjects/{subjectId}/holds/{holdId}/release',
    ]);
    for (const [, m] of methods()) {
      expect(m.Properties!.Integration.Type).toBe('AWS_PROXY');
      expect(referencedIds(m.Properties!.Integration.Uri)).toContain(api);
    }
  });

  it('requires IAM (SigV4) authorization and validates every request', () => {
    for (const [, m] of methods()) {
      expect(m.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM', RequestValidatorId: expect.anything() });
    }
    s.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  it('validates each POST body against a model generated from the shared zod schema', () => {
    const models = new Map(resourcesOfType(json, 'AWS::ApiGateway::Model').map(([id, r]) => [id, r.Properties!]));
    expect([...models.values()].map((m) => m.Name).sort()).toEqual(Object.keys(API_BODY_SCHEMAS).sort());
    for (const model of models.values()) {
      const schema = API_BODY_SCHEMAS[model.Name as keyof typeof API_BODY_SCHEMAS];
      // the same JSON Schema zod itself gives for the handler's schema (so gateway and handler cannot disagree)
      expect(model.Schema).toEqual({ ...z.toJSONSchema(schema, { target: 'draft-04', io: 'input' }), title: model.Name });
      expect(model.Schema).toMatchObject({
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        additionalProperties: false,
      });
    }
    // Every POST with a body (the release of a hold has none): the route table says which.
    const withBody = new Set(API_ROUTES.filter((r) => 'body' in r).map((r) => `${r.method} ${r.path}`));
    const posts = methods().filter(([, m]) => withBody.has(`${m.Properties!.HttpMethod} ${pathOf(m.Properties!.ResourceId)}`));
    expect(posts).toHaveLength(withBody.size);
    for (const [, m] of posts) {
      const ref = m.Properties!.RequestModels['application/json'].Ref as string;
      expect(models.has(ref)).toBe(true);
    }
  });

  it('throttles the stage and writes access logs (path template, never the path) to a CMK log group', () => {
    const [, stage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0];
    expect(stage.Properties!.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 20,
        ThrottlingBurstLimit: 40,
        DataTraceEnabled: false,
      }),
    ]);
    const format = stage.Properties!.AccessLogSetting.Format as string;
    expect(format).toContain('$context.resourcePath');
    expect(format).not.toMatch(/\$context\.path\b/);
    const group = stage.Properties!.AccessLogSetting.DestinationArn['Fn::GetAtt'][0] as string;
    expect(json.Resources[group].Properties).toHaveProperty('KmsKeyId');
  });

  it('answers what API Gateway rejects itself in the API’s error shape', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'BAD_REQUEST_BODY',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('^\\{"error":\\{"code":"invalid-body"') },
    });
  });
});

describe('schedules and the subject events bus', () => {
  const sweeps = () =>
    resourcesOfType(json, 'AWS::Scheduler::Schedule').filter(([, r]) => r.Properties!.ScheduleExpression.startsWith('cron('));

  it('sweeps each purpose daily at 02:00 in the policy’s time zone, with retries and a DLQ', () => {
    expect(sweeps()).toHaveLength(PURPOSES.length);
    const [sweepId] = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').find(
      ([, r]) => 'SweepReadFunctionArn' in r.Properties!.DefinitionSubstitutions,
    )!;
    const inputs = sweeps().map(([, r]) => {
      expect(r.Properties).toMatchObject({
        ScheduleExpression: 'cron(0 2 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Stockholm',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { Ref: sweepId },
          RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 21600 },
          DeadLetterConfig: { Arn: expect.anything() },
        },
      });
      const dlq = r.Properties!.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
      expect(json.Resources[dlq].Properties).toHaveProperty('KmsMasterKeyId');
      return JSON.parse(r.Properties!.Target.Input).purpose as string;
    });
    expect(inputs.sort()).toEqual([...PURPOSES].sort());
  });

  it('runs the deadline monitor hourly, with retries and the DLQ', () => {
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [functionOfService(json, 'lethe-deadline-monitor'), 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 5 }),
        DeadLetterConfig: Match.anyValue(),
      }),
    });
  });

  it('has a CMK-encrypted custom bus whose events go to subject-events, with retries and a DLQ', () => {
    const [busId, bus] = resourcesOfType(json, 'AWS::Events::EventBus')[0];
    expect(bus.Properties).toMatchObject({ KmsKeyIdentifier: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
    s.template.resourceCountIs('AWS::Events::Archive', 0);
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [functionOfService(json, 'lethe-subject-events'), 'Arn'] },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }),
          DeadLetterConfig: Match.anyValue(),
        }),
      ],
    });
  });
});

describe('region pinning', () => {
  it('denies every role any request outside the allowed regions, global services excepted', () => {
    const roles = resourcesOfType(json, 'AWS::IAM::Role');
    expect(roles.length).toBeGreaterThanOrEqual(20);
    for (const [id, role] of roles) {
      const pinning = (role.Properties!.Policies ?? []).filter((p: { PolicyName: string }) => p.PolicyName === REGION_PINNING_POLICY_NAME);
      expect({ id, count: pinning.length }).toEqual({ id, count: 1 });
      expect(pinning[0].PolicyDocument.Statement).toEqual([
        {
          Sid: 'DenyOutsideAllowedRegions',
          Effect: 'Deny',
          NotAction: [...GLOBAL_SERVICE_ACTIONS],
          Resource: '*',
          Condition: { StringNotEquals: { 'aws:RequestedRegion': ['eu-north-1'] } },
        },
      ]);
    }
  });
});

describe('keys and operations', () => {
  it('uses customer-managed keys with rotation, and a generated HMAC secret encrypted with the data key', () => {
    // The data key, the sealing key and the tombstone key (replay-workflow.ts; issue 19, item 3).
    s.template.resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true }, 3);
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] },
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });

  it('sends alarms to a CMK-encrypted, TLS-only topic', () => {
    const [topicId] = resourcesOfType(json, 'AWS::SNS::Topic')[0];
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [dataKeyId(), 'Arn'] } });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    for (const [, alarm] of resourcesOfType(json, 'AWS::CloudWatch::Alarm'))
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it('alarms on failed executions of both state machines, on each DLQ’s depth and on requests near their deadline', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    const machines = resourcesOfType(json, 'AWS::StepFunctions::StateMachine').map(([id]) => id);
    for (const id of machines) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: 'AWS/States',
          MetricName: 'ExecutionsFailed',
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: id } }],
          Threshold: 1,
        }),
      );
    }
    for (const [id] of resourcesOfType(json, 'AWS::SQS::Queue')) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } }],
        }),
      );
    }
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: METRICS.namespace,
        MetricName: METRICS.openRequestsNearDeadline,
        Dimensions: [{ Name: 'service', Value: 'lethe-deadline-monitor' }],
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: 1,
        AlarmDescription: expect.stringContaining('within 7 days'),
      }),
    );
    const monitor = json.Resources[functionOfService(json, 'lethe-deadline-monitor')];
    expect(monitor.Properties!.Environment.Variables.LETHE_DEADLINE_WARNING_DAYS).toBe('7');
  });

  it('alarms when an expiry finds no data where a holding said there was some (sweep-apply and ledger-stream)', () => {
    const alarms = resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties!);
    for (const service of ['lethe-sweep-apply', 'lethe-ledger-stream']) {
      expect(alarms).toContainEqual(
        expect.objectContaining({
          Namespace: METRICS.namespace,
          MetricName: METRICS.holdingsNothingFound,
          Dimensions: [{ Name: 'service', Value: service }],
          Statistic: 'Sum',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          Threshold: 1,
        }),
      );
    }
  });

  it('lets ledger-stream set the ttl of a finished subject’s events', () => {
    const eventsTable = resourcesOfType(json, 'AWS::DynamoDB::Table').find(([, t]) =>
      JSON.stringify(t.Properties!.KeySchema).includes('eventKey'),
    )![0];
    const grants = grantsOfFunction(json, functionOfService(json, 'lethe-ledger-stream')).filter((st) =>
      JSON.stringify(st.Resource).includes(eventsTable),
    );
    expect(grants.flatMap(actionsOf)).toContain('dynamodb:UpdateItem');
  });

  it('has a CloudWatch dashboard', () => {
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('outputs', () => {
  it('name the audit-chain table, for lethe audit verify --chain-table and lethe console --audit-chain-table', () => {
    // THEN the output is the table's name (a Ref to it), the table keyed by the audit chain's id
    const outputs = s.template.findOutputs('AuditChainTableName');
    const ref = (outputs.AuditChainTableName?.Value as { Ref?: string } | undefined)?.Ref;
    expect(ref).toMatch(/AuditChain/);
    expect(json.Resources[ref!]).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      Properties: { KeySchema: [{ AttributeName: AUDIT_CHAIN.partitionKey, KeyType: 'HASH' }] },
    });
  });
});
