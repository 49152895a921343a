/**
 * The erasure API (API Gateway REST API → lambdas/api.ts, Lambda proxy): a resource per path segment and a method
 * per route of the route table (lib/runtime/routes.ts), which the handler and local mode read too. Every method
 * requires IAM (SigV4) authorization by default; request bodies are validated against JSON Schema models generated
 * from the same zod schemas the handler parses with (lib/runtime/api-schemas.ts); the stage is throttled; access
 * logs go to a CMK-encrypted log group and record the resource path template, never the path itself (which holds
 * subject ids).
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { z } from 'zod';
import { StackConfigError } from './errors';
import { API_BODY_SCHEMAS } from '../runtime/api-schemas';
import { API_ROUTES, pathParametersOf } from '../runtime/routes';
import { acknowledgeNag } from './nag';

export interface ErasureApiProps {
  /** The function behind every route (lambdas/api.ts). */
  readonly handler: lambda.IFunction;
  /** Key of the access log group. */
  readonly logKey: kms.IKey;
  /**
   * Authorizer of every method. The default is IAM (SigV4): callers are the controller's own services and
   * people with an IAM principal allowed `execute-api:Invoke` on the API. Pass a Cognito or Lambda authorizer to
   * use that instead.
   * @default undefined (AWS_IAM authorization)
   */
  readonly authorizer?: apigateway.IAuthorizer;
  /**
   * Steady-state requests per second across the stage.
   * @default 20
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests across the stage.
   * @default 40
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Stage name (the first path segment of the URL).
   * @default 'v1'
   */
  readonly stageName?: string;
  /**
   * ARN of an AWS WAFv2 web ACL (REGIONAL) to associate with the stage.
   * @default undefined (no WAF; see the AwsSolutions-APIG3 acknowledgement)
   */
  readonly webAclArn?: string;
  /**
   * Create the account-level role that lets API Gateway write execution logs to CloudWatch. Set false when the
   * account already has one (it is one setting per account and region).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * How long access logs are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/** JSON Schema (draft-04, as API Gateway models require) of a zod schema, in CDK's JsonSchema shape. */
export function toModelSchema(schema: z.ZodType, title: string): apigateway.JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-04', io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (node === null || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === '$schema') out.schema = apigateway.JsonSchemaVersion.DRAFT4;
      else if (key === '$ref') out.ref = value;
      else if (key === 'properties' || key === 'definitions' || key === 'patternProperties') {
        out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convert(v)]));
      } else out[key] = convert(value);
    }
    return out;
  };
  return { ...(convert(json) as apigateway.JsonSchema), title };
}

/** Error bodies in the API's own form, `{"error": {"code", "message"}}`, for what API Gateway rejects itself. */
const gatewayError = (code: string, message: string): Record<string, string> => ({
  'application/json': `{"error":{"code":"${code}","message":${message}}}`,
});

export class ErasureApi extends Construct {
  public readonly api: apigateway.RestApi;
  public readonly accessLogGroup: logs.LogGroup;
  /** Model name → model, one per request body schema. */
  public readonly models: ReadonlyMap<string, apigateway.Model>;

  public constructor(scope: Construct, id: string, props: ErasureApiProps) {
    super(scope, id);
    const rate = props.throttlingRateLimit ?? 20;
    const burst = props.throttlingBurstLimit ?? 40;
    if (!(rate > 0)) throw new StackConfigError(`ErasureApi: throttlingRateLimit must be positive; got ${rate}`);
    if (!Number.isInteger(burst) || burst < 1)
      throw new StackConfigError(`ErasureApi: throttlingBurstLimit must be a positive integer; got ${burst}`);
    const stageName = props.stageName ?? 'v1';
    if (!/^[A-Za-z0-9_]{1,128}$/.test(stageName)) {
      throw new StackConfigError(`ErasureApi: stageName must be letters, digits or _; got "${stageName}"`);
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    const authorizationType = props.authorizer?.authorizationType ?? apigateway.AuthorizationType.IAM;
    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-erasure-api`,
      description: 'Lethe erasure API: erasure requests (Art. 17), holdings and subject events',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole,
      // RETAIN, even after a failed first create: the account's other APIs log through this one setting's role.
      // (CDK refuses a removal policy for a role it does not create.)
      cloudWatchRoleRemovalPolicy: cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      defaultMethodOptions: { authorizationType, authorizer: props.authorizer },
      deployOptions: {
        stageName,
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
        metricsEnabled: true,
        // Execution logs record errors only, never bodies (dataTraceEnabled false): bodies hold subject ids.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        // No X-Ray on the stage: its segments carry the request URL, and URLs hold subject ids.
        tracingEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            protocol: apigateway.AccessLogField.contextProtocol(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            responseLatency: apigateway.AccessLogField.contextResponseLatency(),
            integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
            caller: apigateway.AccessLogField.contextIdentityUserArn(),
            errorType: apigateway.AccessLogField.contextErrorResponseType(),
          }),
        ),
      },
    });

    const models = new Map<string, apigateway.Model>();
    for (const [name, schema] of Object.entries(API_BODY_SCHEMAS)) {
      models.set(
        name,
        this.api.addModel(`${name}Model`, {
          modelName: name,
          contentType: 'application/json',
          description: `Body of the ${name} request (lib/runtime/api-schemas.ts)`,
          schema: toModelSchema(schema, name),
        }),
      );
    }
    this.models = models;
    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });

    const integration = new apigateway.LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    for (const route of API_ROUTES) {
      const model = 'body' in route ? route.body : undefined;
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        requestValidator: validator,
        requestModels: model ? { 'application/json': models.get(model)! } : undefined,
        requestParameters: Object.fromEntries(pathParametersOf(route.path).map((p) => [`method.request.path.${p}`, true])),
      });
    }

    // What API Gateway rejects before the handler runs gets the same error shape the handler uses.
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: gatewayError('invalid-body', '"$util.escapeJavaScript($context.error.validationErrorString)"'),
    });
    this.api.addGatewayResponse('BadRequestParameters', {
      type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
      templates: gatewayError('invalid-parameters', '"$util.escapeJavaScript($context.error.validationErrorString)"'),
    });
    this.api.addGatewayResponse('Default4xx', {
      type: apigateway.ResponseType.DEFAULT_4XX,
      templates: gatewayError('request-rejected', '$context.error.messageString'),
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigateway.ResponseType.DEFAULT_5XX,
      templates: gatewayError('gateway-error', '$context.error.messageString'),
    });

    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', { resourceArn: this.api.deploymentStage.stageArn, webAclArn: props.webAclArn });
    } else {
      acknowledgeNag(
        this.api.deploymentStage,
        'AwsSolutions-APIG3',
        'No WAF by default: every method requires SigV4 (IAM) authorization, so unauthenticated requests are rejected ' +
          'before any integration runs, and the stage is throttled. Pass webAclArn to associate a WAFv2 web ACL.',
      );
    }
    if (authorizationType === apigateway.AuthorizationType.IAM) {
      acknowledgeNag(
        this.api,
        'AwsSolutions-COG4',
        "The API uses IAM (SigV4) authorization, not a Cognito user pool: its callers are the controller's services and " +
          'operators with IAM principals. Pass another authorizer to change this.',
      );
    }
    if (cloudWatchRole) {
      acknowledgeNag(
        this.api,
        'AwsSolutions-IAM4',
        'The account-level role that lets API Gateway write execution logs uses the AWS managed policy ' +
          'AmazonAPIGatewayPushToCloudWatchLogs, which API Gateway documents for exactly this role.',
        ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'],
      );
    }
  }

  /** The stage's base URL. */
  public get url(): string {
    return this.api.url;
  }

  /** Grants `grantee` permission to call every method of the API (execute-api:Invoke). */
  public grantInvoke(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('*', '/*', this.api.deploymentStage.stageName)],
    });
  }
}
