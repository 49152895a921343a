/**
 * docs/openapi.json: generated from the route table and the zod schemas (lib/runtime/openapi.ts), published up to
 * date, a valid OpenAPI 3.1 document for an OpenAPI validator (@readme/openapi-parser, offline), and describing every
 * route as the route table has it. That the answers it describes are the handler's real answers is
 * test/lib/runtime/api-responses.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import { API_BODY_SCHEMAS, API_QUERY_SCHEMAS } from '../../../lib/runtime/api-schemas';
import { API_RESPONSE_SCHEMAS } from '../../../lib/runtime/api-responses';
import {
  DEFAULT_STAGE,
  IDEMPOTENT_OPERATIONS,
  LOCAL_DEFAULT_PORT,
  OPTIONALLY_IDEMPOTENT_OPERATIONS,
  OPENAPI_FILE,
  openApiDocument,
  openApiText,
} from '../../../lib/runtime/openapi';
import { API_ROUTES, type ApiRoute, pathParametersOf } from '../../../lib/runtime/routes';

const ROOT = join(__dirname, '..', '..', '..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const ROUTES = API_ROUTES as readonly ApiRoute[];

interface Operation {
  operationId: string;
  /** A shared parameter by reference, or a route's own query parameter inline. */
  parameters: ({ $ref: string } | { name: string; in: string; required: boolean })[];
  requestBody?: { required: boolean; content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema: Record<string, unknown> }> }>;
}
interface Doc {
  openapi: string;
  info: { version: string };
  servers: { url: string; variables: Record<string, { default: string }> }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    parameters: Record<string, { name: string; in: string; required: boolean }>;
  };
}

const doc = (): Doc => structuredClone(openApiDocument(version)) as unknown as Doc;

/** The validator's verdict: its error messages, empty when valid. Offline: no external reference is resolved. */
async function problemsOf(document: unknown): Promise<string[]> {
  const result = await validate(document as never, { resolve: { external: false } });
  return result.valid ? [] : result.errors.map((e) => e.message);
}

describe('docs/openapi.json', () => {
  it('is what the generator writes (run `npm run openapi` after changing the routes or the schemas, and commit it)', () => {
    const published = readFileSync(join(ROOT, OPENAPI_FILE), 'utf8');
    if (published !== openApiText(version)) {
      throw new Error(
        `${OPENAPI_FILE} is out of date with lib/runtime/routes.ts and the zod schemas: run \`npm run openapi\` and commit it`,
      );
    }
    expect(published.endsWith('}\n')).toBe(true);
  });

  it('is a valid OpenAPI 3.1 document for an OpenAPI validator, without warnings', async () => {
    const published = JSON.parse(readFileSync(join(ROOT, OPENAPI_FILE), 'utf8')) as Doc;
    expect(published.openapi).toBe('3.1.0');
    const result = await validate(published as never, { resolve: { external: false } });
    expect(result).toMatchObject({ valid: true, warnings: [], specification: 'OpenAPI' });
  });

  it.each<[string, (d: Doc) => void]>([
    ['a path parameter not declared', (d) => (d.paths['/erasure-requests/{requestId}'].get.parameters = [])],
    ['no info.version', (d) => delete (d.info as Partial<Doc['info']>).version],
    [
      'a reference to a schema that does not exist',
      (d) => (d.paths['/erasure-requests'].post.requestBody!.content['application/json'].schema.$ref = '#/components/schemas/Nope'),
    ],
    ['an operation id twice', (d) => (d.paths['/erasure-requests/{requestId}'].get.operationId = 'createErasureRequest')],
    [
      'a response status that is not one',
      (d) => (d.paths['/erasure-requests'].post.responses['2xx-ish'] = { $ref: '#/components/responses/BadRequest' }),
    ],
  ])('the validator refuses the document with %s (so the check above can fail)', async (_what, change) => {
    const broken = doc();
    change(broken);
    expect(await problemsOf(broken)).not.toEqual([]);
  });

  it('has every route of the route table: its method, path parameters, body model and success status', () => {
    const d = doc();
    const operations = Object.values(d.paths).flatMap((methods) => Object.values(methods));
    expect(operations.map((o) => o.operationId).sort()).toEqual(ROUTES.map((r) => r.operation).sort());
    for (const route of ROUTES) {
      const op = d.paths[route.path][route.method.toLowerCase()];
      expect(op.operationId).toBe(route.operation);
      const params = op.parameters.map((p) => ('$ref' in p ? d.components.parameters[p.$ref.split('/').pop()!] : p));
      expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathParametersOf(route.path));
      // The query parameters are those of the route's query schema (api-schemas.ts API_QUERY_SCHEMAS), each optional.
      const query = route.query ? Object.keys(API_QUERY_SCHEMAS[route.query].shape) : [];
      expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(query);
      // Every other parameter is required but the Idempotency-Key of an operation that takes one without requiring it (placeHold).
      const optional = [
        ...query.map((name) => `query:${name}`),
        ...(OPTIONALLY_IDEMPOTENT_OPERATIONS.includes(route.operation) ? ['header:Idempotency-Key'] : []),
      ];
      expect(params.filter((p) => !p.required).map((p) => `${p.in}:${p.name}`)).toEqual(optional);
      expect(params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key' && p.required)).toBe(
        IDEMPOTENT_OPERATIONS.includes(route.operation),
      );
      expect(op.requestBody?.content['application/json'].schema.$ref).toBe(route.body ? `#/components/schemas/${route.body}` : undefined);
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      expect(success).toEqual([String(route.status)]);
      const answer = API_RESPONSE_SCHEMAS[route.operation] as (typeof API_RESPONSE_SCHEMAS)[string] | undefined;
      expect(op.responses[String(route.status)].content!['application/json'].schema).toEqual(
        answer ? { $ref: `#/components/schemas/${answer.name}` } : { type: 'object' },
      );
      for (const status of ['400', '403', '429', '500', '503']) expect(op.responses[status]).toBeDefined();
      expect(op.responses['413'] !== undefined).toBe(route.body !== undefined);
    }
  });

  it('describes each body as the validator of the handler and API Gateway does: it accepts and refuses the same bodies', () => {
    const d = doc();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const cases: [keyof typeof API_BODY_SCHEMAS, unknown][] = [
      ['ErasureRequest', { subjectId: 'user1', verification: { method: 'bankid', verifiedAt: '2025-03-01T09:30:00+01:00' } }],
      ['ErasureRequest', { subjectId: 'user1' }],
      ['ErasureRequest', { subjectId: '', verification: { method: 'bankid', verifiedAt: '2025-03-01T09:30:00+01:00' } }],
      ['ErasureRequest', { subjectId: 'user1', verification: { method: 'bankid', verifiedAt: 'x' }, extra: 1 }],
      ['ExtendRequest', { months: 2, reason: 'complex' }],
      ['ExtendRequest', { months: 3, reason: 'complex' }],
      ['Holding', { purpose: 'p', system: 's', collectedAt: '2025-01-01T00:00:00Z', locator: { customerId: 'C-1' } }],
      ['Holding', { purpose: 'p', system: 's', collectedAt: '2025-01-01T00:00:00Z', locator: { customerId: 5 } }],
      ['SubjectEvent', { type: 'invoiced', at: '2025-01-01T00:00:00Z' }],
      ['SubjectEvent', { type: 'invoiced' }],
    ];
    for (const [model, body] of cases) {
      const published = ajv.validate(d.components.schemas[model], body);
      expect({ model, body, valid: published }).toEqual({ model, body, valid: API_BODY_SCHEMAS[model].safeParse(body).success });
    }
  });

  it('names the servers: the stack URL with its stage, and local mode on 127.0.0.1 at its default port', async () => {
    const d = doc();
    expect(d.info.version).toBe(version);
    const [aws, local] = d.servers;
    expect(aws.url).toMatch(/^https:\/\/\{restApiId\}\.execute-api\.\{region\}\.amazonaws\.com\/\{stage\}$/);
    expect(aws.variables.stage.default).toBe(DEFAULT_STAGE);
    expect(readFileSync(join(ROOT, 'lib', 'stack', 'erasure-api.ts'), 'utf8')).toContain(`props.stageName ?? '${DEFAULT_STAGE}'`);
    expect(local.url).toBe('http://127.0.0.1:{port}');
    const { DEFAULT_PORT } = await import('../../../lib/local/start');
    expect(local.variables.port.default).toBe(String(DEFAULT_PORT));
    expect(LOCAL_DEFAULT_PORT).toBe(DEFAULT_PORT);
  });

  it('stops, naming the route, at a path parameter it cannot describe or a route twice', () => {
    const route: ApiRoute = { operation: 'viewThing', method: 'GET', path: '/things/{thingId}', status: 200 };
    expect(() => openApiDocument(version, [...ROUTES, route])).toThrow(
      /viewThing: path parameter \{thingId\} has no entry in PATH_PARAMETERS/,
    );
    expect(() => openApiDocument(version, [...ROUTES, { ...ROUTES[0], operation: 'again' }])).toThrow(
      /again: POST \/erasure-requests is in the route table twice/,
    );
  });
});
