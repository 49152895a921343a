/**
 * lib/runtime/routes.ts: the one route table of the erasure API, and the three places that read it: the handler's
 * router (lib/runtime/api.ts), the stack's resources and methods (lib/stack/erasure-api.ts) and local mode's
 * gateway (lib/local/api-gateway.ts). Each test walks the table, so a new route is checked in all three.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { matchRoute } from '../../../lib/local/api-gateway';
import { API_BODY_SCHEMAS } from '../../../lib/runtime/api-schemas';
import { API_ROUTES, type ApiOperation, pathParametersOf } from '../../../lib/runtime/routes';
import { ErasureApi } from '../../../lib/stack/erasure-api';
import { apiClient, type Call, verification, withIdempotencyKey } from '../../lambdas/helpers';
import { makeHandler as makeFinish } from '../../../lambdas/erasure-finish';
import { makeHandler as makePlan } from '../../../lambdas/erasure-plan';
import { makeHandler as makeSystem } from '../../../lambdas/erasure-system';
import { createWorld, lambdaContext } from './support/runtime';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

describe('the table', () => {
  it.each([
    ['/erasure-requests', []],
    ['/erasure-requests/{requestId}', ['requestId']],
    ['/subjects/{subjectId}/holdings', ['subjectId']],
    ['/a/{x}/b/{y}', ['x', 'y']],
  ])('the path parameters of %s are %j', (path, expected) => {
    expect(pathParametersOf(path)).toEqual(expected);
  });

  it('names each operation once and each method and path once, and every body is a schema of api-schemas.ts', () => {
    expect(new Set(API_ROUTES.map((r) => r.operation)).size).toBe(API_ROUTES.length);
    expect(new Set(API_ROUTES.map((r) => `${r.method} ${r.path}`)).size).toBe(API_ROUTES.length);
    for (const route of API_ROUTES) if ('body' in route) expect(Object.keys(API_BODY_SCHEMAS)).toContain(route.body);
  });
});

describe('the stack', () => {
  // GIVEN the API construct alone, in front of a stand-in function
  // as test/lib/stack/synth.ts: without the synth's built-in CloudFormation validation, which only warns by default and
  // costs about 6 s of CPU to start its engine
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Routes', { env: { account: '111111111111', region: 'eu-north-1' } });
  const handler = new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new ErasureApi(stack, 'ErasureApi', { handler, logKey: new kms.Key(stack, 'Key') });
  const resources = Template.fromStack(stack).toJSON().Resources as Resources;
  const pathOf = (ref: { Ref?: string }): string => {
    const parts: string[] = [];
    for (let r = ref; r.Ref; r = resources[r.Ref].Properties.ParentId) parts.unshift(resources[r.Ref].Properties.PathPart);
    return `/${parts.join('/')}`;
  };
  const modelName = (ref: { Ref: string } | undefined) => (ref ? resources[ref.Ref].Properties.Name : undefined);

  it('creates exactly the methods of the table, each with its body model and its path parameters required', () => {
    // WHEN its methods are read back from the template
    const methods = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGateway::Method')
      .map(({ Properties: m }) => ({
        method: m.HttpMethod,
        path: pathOf(m.ResourceId),
        body: modelName(m.RequestModels?.['application/json']),
        parameters: m.RequestParameters,
      }));
    // THEN they are the table's, no more, no fewer (in the template's order: a method on a path created earlier, as
    // GET /erasure-requests/{requestId}/receipt under /erasure-requests/{requestId}, is written beside its parent)
    const byRoute = (a: { method: string; path: string }, b: { method: string; path: string }) =>
      `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`);
    expect([...methods].sort(byRoute)).toEqual(
      API_ROUTES.map((route) => ({
        method: route.method,
        path: route.path,
        body: 'body' in route ? route.body : undefined,
        parameters: Object.fromEntries(pathParametersOf(route.path).map((p) => [`method.request.path.${p}`, true])),
      })).sort(byRoute),
    );
  });
});

describe('local mode', () => {
  it.each(API_ROUTES.map((route) => [route.method, route.path] as const))(
    '%s %s is matched with its path parameters decoded',
    (method, path) => {
      // GIVEN the route's path with each parameter an encoded value holding a space, a slash and a non-ASCII letter
      const names = pathParametersOf(path);
      const raw = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(`${name} å/1`));
      // WHEN local mode matches it THEN it is the route, the parameters decoded
      expect(matchRoute(method, raw)).toEqual({
        kind: 'route',
        resource: path,
        pathParameters: names.length ? Object.fromEntries(names.map((n) => [n, `${n} å/1`])) : null,
      });
    },
  );
});

describe('the handler', () => {
  /** The hold placeHold's call places (releaseHold's call releases it). */
  let holdId = '';
  /** The restriction and access requests their create calls made (the later calls of their kind use them). */
  const kindIds = { restriction: '', access: '' };
  /** One valid call per operation, in table order (the erasure request the first one creates is the later ones'). */
  const calls: Record<ApiOperation, (requestId: string) => Call> = {
    createErasureRequest: () => ({
      method: 'POST',
      path: '/erasure-requests',
      body: { subjectId: 'subject-1', verification },
      headers: withIdempotencyKey(),
    }),
    viewErasureRequest: (requestId) => ({ method: 'GET', path: `/erasure-requests/${requestId}`, pathParameters: { requestId } }),
    extendErasureRequest: (requestId) => ({
      method: 'POST',
      path: `/erasure-requests/${requestId}/extend`,
      pathParameters: { requestId },
      body: { months: 1, reason: 'many systems' },
    }),
    registerHolding: () => ({
      method: 'POST',
      path: '/subjects/subject-2/holdings',
      pathParameters: { subjectId: 'subject-2' },
      body: { purpose: 'analytics', system: 'crm', collectedAt: '2025-01-15T12:00:00+01:00' },
    }),
    recordSubjectEvent: () => ({
      method: 'POST',
      path: '/subjects/subject-2/events',
      pathParameters: { subjectId: 'subject-2' },
      body: { type: 'account-closed', at: '2025-02-10T09:00:00+01:00' },
    }),
    placeHold: () => ({
      method: 'POST',
      path: '/subjects/subject-2/holds',
      pathParameters: { subjectId: 'subject-2' },
      body: { reason: 'litigation hold, case 2025-17', scope: { purposes: ['analytics'] } },
    }),
    releaseHold: () => ({
      method: 'POST',
      path: `/subjects/subject-2/holds/${holdId}/release`,
      pathParameters: { subjectId: 'subject-2', holdId },
    }),
    listHolds: () => ({ method: 'GET', path: '/subjects/subject-2/holds', pathParameters: { subjectId: 'subject-2' } }),
    viewSubject: () => ({ method: 'GET', path: '/subjects/subject-2', pathParameters: { subjectId: 'subject-2' } }),
    createRestrictionRequest: () => ({
      method: 'POST',
      path: '/restriction-requests',
      body: { subjectId: 'subject-1', verification, until: '2025-06-01T00:00:00+02:00', keep: true },
      headers: withIdempotencyKey(),
    }),
    viewRestrictionRequest: () => ({
      method: 'GET',
      path: `/restriction-requests/${kindIds.restriction}`,
      pathParameters: { requestId: kindIds.restriction },
    }),
    extendRestrictionRequest: () => ({
      method: 'POST',
      path: `/restriction-requests/${kindIds.restriction}/extend`,
      pathParameters: { requestId: kindIds.restriction },
      body: { months: 2, reason: 'many systems' },
    }),
    createAccessRequest: () => ({
      method: 'POST',
      path: '/access-requests',
      body: { subjectId: 'subject-1', verification },
      headers: withIdempotencyKey(),
    }),
    viewAccessRequest: () => ({ method: 'GET', path: `/access-requests/${kindIds.access}`, pathParameters: { requestId: kindIds.access } }),
    extendAccessRequest: () => ({
      method: 'POST',
      path: `/access-requests/${kindIds.access}/extend`,
      pathParameters: { requestId: kindIds.access },
      body: { months: 1, reason: 'many systems' },
    }),
    // the erasure request, completed by its workflow just before (a receipt is issued for a completed request only)
    viewErasureReceipt: (requestId) => ({ method: 'GET', path: `/erasure-requests/${requestId}/receipt`, pathParameters: { requestId } }),
    // the restriction request, completed by its workflow just before (a restriction is lifted once completed)
    liftRestrictionRequest: () => ({
      method: 'POST',
      path: `/restriction-requests/${kindIds.restriction}/lift`,
      pathParameters: { requestId: kindIds.restriction },
    }),
    listRequests: () => ({ method: 'GET', path: '/requests', queryStringParameters: { status: 'open', limit: '10' } }),
    viewDueCalendar: () => ({ method: 'GET', path: '/retention/calendar', queryStringParameters: { days: '30' } }),
    viewHoldingStates: () => ({ method: 'GET', path: '/retention/holdings' }),
    // the restriction request, completed before its lift; the access request, completed just before
    viewRestrictionReceipt: () => ({
      method: 'GET',
      path: `/restriction-requests/${kindIds.restriction}/receipt`,
      pathParameters: { requestId: kindIds.restriction },
    }),
    viewAccessReceipt: () => ({
      method: 'GET',
      path: `/access-requests/${kindIds.access}/receipt`,
      pathParameters: { requestId: kindIds.access },
    }),
  };

  it("routes every route of the table to its operation, which answers with the table's status", async () => {
    // GIVEN a runtime on fakes
    const world = createWorld({ now: '2025-03-01T10:00:00Z' });
    const context = lambdaContext('lethe-erasure') as never;
    /** What the erasure state machine does: plan, each system, finish. */
    const completeWorkflow = async (requestId: string) => {
      const planned = await makePlan(() => world.rt)({ requestId }, context);
      const results = [];
      for (const { system } of planned.systems) results.push(await makeSystem(() => world.rt)({ requestId, system }, context));
      await makeFinish(() => world.rt)({ requestId, results }, context);
    };
    try {
      const api = apiClient(world);
      let requestId = '';
      for (const route of API_ROUTES) {
        // WHEN the route is called as API Gateway would call it
        if (route.operation === 'viewErasureReceipt') await completeWorkflow(requestId);
        if (route.operation === 'liftRestrictionRequest') await completeWorkflow(kindIds.restriction);
        if (route.operation === 'viewAccessReceipt') await completeWorkflow(kindIds.access);
        const call = calls[route.operation](requestId);
        expect(call.method).toBe(route.method);
        const answer = await api.call(call);
        // THEN its operation answers, with the status the table names
        expect({ operation: route.operation, status: answer.status }).toEqual({ operation: route.operation, status: route.status });
        if (route.operation === 'createErasureRequest') requestId = answer.body.requestId as string;
        if (route.operation === 'placeHold') holdId = answer.body.holdId as string;
        if (route.operation === 'createRestrictionRequest') kindIds.restriction = answer.body.requestId as string;
        if (route.operation === 'createAccessRequest') kindIds.access = answer.body.requestId as string;
      }
    } finally {
      world.restore();
    }
  });
});
