/**
 * The erasure API as an OpenAPI 3.1 document (docs/openapi.json; `npm run openapi` writes it), generated from the
 * same sources the API is built from, so that it cannot describe another API:
 * - the paths, methods, path parameters and success statuses from the route table (lib/runtime/routes.ts);
 * - the request bodies from the zod schemas API Gateway and the handler validate with (lib/runtime/api-schemas.ts);
 * - the answers from lib/runtime/api-responses.ts, whose schemas a test checks against the handler's real answers;
 * - the error answer `{"error": {code, message, path?}}` for the statuses lib/runtime/http.ts, API Gateway (the
 *   stack's gateway responses) and local mode give.
 * zod 4's `z.toJSONSchema` writes JSON Schema 2020-12, the dialect of OpenAPI 3.1's schema objects.
 *
 * test/lib/runtime/openapi.test.ts fails when docs/openapi.json is not what this generates (run `npm run openapi`),
 * and validates the document with an OpenAPI validator.
 */
import { z } from 'zod';
import { API_BODY_SCHEMAS, API_QUERY_SCHEMAS, ErasureRequestBody } from './api-schemas';
import { API_RESPONSE_SCHEMAS, ErrorAnswer } from './api-responses';
import { API_ROUTES, type ApiRoute, pathParametersOf } from './routes';

/** Where `npm run openapi` writes the document, from the repository root. */
export const OPENAPI_FILE = 'docs/openapi.json';

/** Local mode's default port (lib/local/start.ts DEFAULT_PORT; the test checks they agree). */
export const LOCAL_DEFAULT_PORT = 8787;

/** The stage the stack deploys the API to unless told otherwise (lib/stack/erasure-api.ts). */
export const DEFAULT_STAGE = 'v1';

/** The request header that makes a POST safe to repeat (lib/runtime/api.ts IDEMPOTENCY_HEADER, as clients write it). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The operations that require an Idempotency-Key (lib/runtime/api.ts): the request id is derived from it, so a
 * repeat answers the same request. test/lib/runtime/api-responses.test.ts checks that each refuses a call without
 * one with 400 naming headers.Idempotency-Key.
 */
export const IDEMPOTENT_OPERATIONS: readonly string[] = ['createErasureRequest', 'createRestrictionRequest', 'createAccessRequest'];

/**
 * The operations that take an Idempotency-Key without requiring it (lib/runtime/holds.ts placeHold): with one, the
 * same call again answers what the first stored; without, each call is new.
 */
export const OPTIONALLY_IDEMPOTENT_OPERATIONS: readonly string[] = ['placeHold'];
const OPTIONAL_IDEMPOTENCY_KEY = 'Idempotency-Key-Optional';

/** When an operation answers 409, beside an Idempotency-Key reused for another subject or still in progress. */
export const CONFLICTS: Readonly<Record<string, string>> = {
  extendErasureRequest: 'the request was extended already (Art. 12(3) allows one extension), or it is completed',
  extendRestrictionRequest: 'the request was extended already (Art. 12(3) allows one extension), or it is completed',
  extendAccessRequest: 'the request was extended already (Art. 12(3) allows one extension), or it is completed',
  releaseHold: 'the hold was released already',
  placeHold: 'the Idempotency-Key placed a hold with another reason or scope on this subject',
  viewErasureReceipt: 'the request is not completed yet (or completed before receipts were kept)',
  viewRestrictionReceipt: 'the request is not completed yet (or completed before receipts were kept)',
  viewAccessReceipt: 'the request is not completed yet (or completed before receipts were kept)',
  liftRestrictionRequest: 'the restriction request is not completed yet, or it was lifted already',
};

/** Path parameters: their schema and meaning. A route with a parameter not here stops the generator, naming it. */
const PATH_PARAMETERS: Readonly<Record<string, { readonly description: string; readonly schema: z.ZodType }>> = {
  subjectId: {
    description:
      "The data subject's id in your systems: 1 to 256 characters of well-formed Unicode, no control characters, not `.` or `..` (percent-encode it)",
    schema: ErasureRequestBody.shape.subjectId,
  },
  requestId: {
    description: 'The request id the API answered when the request was made (letters, digits and -, at most 80 characters)',
    schema: z.string().regex(/^[A-Za-z0-9-]{1,80}$/),
  },
  holdId: {
    description: 'The hold id the API answered when the hold was placed (a UUID)',
    schema: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  },
};

/** The error answers, by status: what each means across the API. */
const ERROR_RESPONSES = {
  BadRequest: {
    status: '400',
    description:
      'The request is malformed: a body that is not JSON, a missing, unknown or malformed field, an unknown purpose, system or event type, a timestamp without offset or in the future, a subject id Lethe refuses. `path` names the field.',
  },
  Unauthorized: { status: '401', description: 'Local mode only: no or a wrong `Authorization: Bearer <token>`.' },
  Forbidden: {
    status: '403',
    description: 'On AWS: the request is not signed with SigV4, or the caller may not `execute-api:Invoke` this method (API Gateway).',
  },
  NotFound: { status: '404', description: 'No such request or hold (`path` names the parameter), or no such route.' },
  Conflict: { status: '409', description: 'The request conflicts with the state it would change.' },
  PayloadTooLarge: { status: '413', description: 'The body is larger than 64 KiB.' },
  UnsupportedMediaType: { status: '415', description: 'The body is not declared as JSON (send `Content-Type: application/json`).' },
  TooManyRequests: { status: '429', description: "On AWS: the stage's throttling limit was reached (API Gateway); retry later." },
  InternalError: { status: '500', description: "Lethe's own failure (never what a caller sent); the details are in its log." },
  Unavailable: {
    status: '503',
    description:
      'An AWS service Lethe uses throttled it or was briefly unavailable: send the same request again after `Retry-After` seconds (an erasure request with the same Idempotency-Key).',
  },
} as const;
type ErrorResponseName = keyof typeof ERROR_RESPONSES;

/** The schema object of a zod schema: JSON Schema 2020-12, self-contained (no `$defs`), without `$schema`. */
export function schemaObject(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' }) as Record<string, unknown>;
  if ('$defs' in json)
    throw new Error('a schema of the API uses $defs (a zod id or a recursive schema): the document would refer to them wrongly');
  // Rest siblings are not unused (eslint's ignoreRestSiblings): $schema is left out of what is returned.
  const { $schema, ...rest } = json;
  return rest;
}

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string) => ({ $ref: `#/components/${kind}/${name}` });

const OPERATION_SUMMARIES: Readonly<Record<string, string>> = {
  createErasureRequest: 'Ask Lethe to erase a subject everywhere (GDPR Art. 17)',
  viewErasureRequest: 'An erasure request: its status per system and what is retained',
  extendErasureRequest: "Extend a request's deadline once, by one or two months (Art. 12(3))",
  registerHolding: 'Register that you hold a subject’s data for a purpose in a system',
  recordSubjectEvent: 'Report an event about a subject (it may start or move expiry clocks)',
  viewSubject: 'What Lethe holds about one subject',
  placeHold: 'Place a legal hold on a subject’s data',
  releaseHold: 'Release a legal hold',
  listHolds: "A subject's legal holds",
  createRestrictionRequest: "Restrict the processing of a subject's data (GDPR Art. 18)",
  viewRestrictionRequest: 'A restriction request and its status',
  extendRestrictionRequest: "Extend a restriction request's deadline once (Art. 12(3))",
  createAccessRequest: 'Ask for a copy of what is held about a subject (GDPR Art. 15)',
  viewAccessRequest: 'An access request and its status',
  extendAccessRequest: "Extend an access request's deadline once (Art. 12(3))",
  viewErasureReceipt: 'The signed receipt of a completed erasure request (check it offline: lethe receipt verify)',
  viewRestrictionReceipt: 'The signed receipt of a completed restriction request (check it offline: lethe receipt verify)',
  viewAccessReceipt: 'The signed receipt of a completed access request (check it offline: lethe receipt verify)',
  listRequests: 'Every data subject request, newest received first, a page at a time (no subject ids)',
  viewDueCalendar: 'Holdings expiring per purpose per day, for the next days',
  viewHoldingStates:
    'Active holdings per purpose by state (waiting, counting, due, held, indefinite, quarantined, nothing found), from two sparse indexes',
};

/** An operation's tag: its path's first segment (erasure-requests, subjects, ...). */
const tagOf = (route: ApiRoute): string => route.path.split('/')[1];

const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'erasure-requests': 'Erasure requests (GDPR Art. 17)',
  'restriction-requests': 'Restriction requests (GDPR Art. 18)',
  'access-requests': 'Access requests (GDPR Art. 15)',
  subjects: 'What you hold about a subject: holdings, events, legal holds',
  requests: 'Every data subject request, for the DPO console',
  retention: 'What the retention ledger holds at a glance, for the DPO console',
};

/** A query parameter's name in components.parameters: `<query schema>.<parameter>`, e.g. `RequestListQuery.limit`. */
const queryParameterName = (query: string, name: string): string => `${query}.${name}`;

/** The query parameters of a route with a query schema (api-schemas.ts API_QUERY_SCHEMAS), in schema order. */
function queryParameters(route: ApiRoute): Record<string, unknown>[] {
  if (route.query === undefined) return [];
  return Object.keys(API_QUERY_SCHEMAS[route.query].shape).map((name) => ref('parameters', queryParameterName(route.query!, name)));
}

/** The components of a query schema's parameters, by queryParameterName. */
function queryParameterComponents(query: keyof typeof API_QUERY_SCHEMAS): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(API_QUERY_SCHEMAS[query].shape as Record<string, z.ZodType>).map(([name, schema]) => {
      const { description, ...rest } = schemaObject(schema, 'input');
      return [
        queryParameterName(query, name),
        { name, in: 'query', required: !schema.safeParse(undefined).success, ...(description ? { description } : {}), schema: rest },
      ];
    }),
  );
}

function operationObject(route: ApiRoute): Record<string, unknown> {
  const hasBody = route.body !== undefined;
  const idempotent = IDEMPOTENT_OPERATIONS.includes(route.operation);
  const params = pathParametersOf(route.path);
  const answer = API_RESPONSE_SCHEMAS[route.operation] as (typeof API_RESPONSE_SCHEMAS)[string] | undefined;

  const errors: ErrorResponseName[] = ['BadRequest', 'Unauthorized', 'Forbidden'];
  if (params.some((p) => p !== 'subjectId')) errors.push('NotFound');
  const conflict = [
    ...(idempotent ? ['the Idempotency-Key was used for another subject, or a request with it is still being processed'] : []),
    ...(CONFLICTS[route.operation] ? [CONFLICTS[route.operation]] : []),
  ];
  if (conflict.length > 0) errors.push('Conflict');
  if (hasBody) errors.push('PayloadTooLarge', 'UnsupportedMediaType');
  errors.push('TooManyRequests', 'InternalError', 'Unavailable');

  const responses: Record<string, unknown> = {
    [String(route.status)]: {
      description: answer ? `Success: ${answer.name}` : 'Success (no schema for this answer yet: lib/runtime/api-responses.ts)',
      content: { 'application/json': { schema: answer ? ref('schemas', answer.name) : { type: 'object' } } },
    },
  };
  for (const name of errors) {
    responses[ERROR_RESPONSES[name].status] =
      name === 'Conflict' ? { ...ref('responses', name), description: `Conflict: ${conflict.join('; or ')}.` } : ref('responses', name);
  }

  return {
    operationId: route.operation,
    ...(OPERATION_SUMMARIES[route.operation] ? { summary: OPERATION_SUMMARIES[route.operation] } : {}),
    tags: [tagOf(route)],
    parameters: [
      ...params.map((p) => ref('parameters', p)),
      ...queryParameters(route),
      ...(idempotent ? [ref('parameters', IDEMPOTENCY_KEY_HEADER)] : []),
      ...(OPTIONALLY_IDEMPOTENT_OPERATIONS.includes(route.operation) ? [ref('parameters', OPTIONAL_IDEMPOTENCY_KEY)] : []),
    ],
    ...(hasBody ? { requestBody: { required: true, content: { 'application/json': { schema: ref('schemas', route.body) } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1.0 document of the erasure API, as `npm run openapi` writes it. */
export function openApiDocument(version: string, routes: readonly ApiRoute[] = API_ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const usedParameters = new Set<string>();
  for (const route of routes) {
    for (const p of pathParametersOf(route.path)) {
      if (!(p in PATH_PARAMETERS)) {
        throw new Error(
          `${route.operation}: path parameter {${p}} has no entry in PATH_PARAMETERS (lib/runtime/openapi.ts): add its schema and meaning`,
        );
      }
      usedParameters.add(p);
    }
    paths[route.path] ??= {};
    const method = route.method.toLowerCase();
    if (method in paths[route.path]) throw new Error(`${route.operation}: ${route.method} ${route.path} is in the route table twice`);
    paths[route.path][method] = operationObject(route);
  }

  const parameters: Record<string, unknown> = {};
  for (const name of Object.keys(PATH_PARAMETERS).filter((p) => usedParameters.has(p))) {
    const { description, schema } = PATH_PARAMETERS[name];
    parameters[name] = { name, in: 'path', required: true, description, schema: schemaObject(schema, 'input') };
  }
  for (const query of new Set(routes.flatMap((r) => (r.query ? [r.query] : []))))
    Object.assign(parameters, queryParameterComponents(query));
  parameters[IDEMPOTENCY_KEY_HEADER] = {
    name: IDEMPOTENCY_KEY_HEADER,
    in: 'header',
    required: true,
    description:
      'Any text unique to this request (e.g. a UUID). The request id is derived from it: sending the request again with the same key answers the same request, never a second one.',
    schema: { type: 'string', minLength: 1, maxLength: 256 },
  };
  if (routes.some((r) => OPTIONALLY_IDEMPOTENT_OPERATIONS.includes(r.operation))) {
    parameters[OPTIONAL_IDEMPOTENCY_KEY] = {
      name: IDEMPOTENCY_KEY_HEADER,
      in: 'header',
      required: false,
      description:
        'Optional. Any text unique to this call (e.g. a UUID): sending the same call again with the same key answers what the first stored (the same hold), never a second one; the same key with another body is a 409.',
      schema: { type: 'string', minLength: 1, maxLength: 256 },
    };
  }

  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(API_BODY_SCHEMAS)) schemas[name] = schemaObject(schema, 'input');
  const answers = new Map<string, z.ZodType>();
  for (const { name, schema } of Object.values(API_RESPONSE_SCHEMAS)) {
    // Operations with the same answer share its schema; one name for two schemas would publish only one of them.
    if (answers.has(name) && answers.get(name) === schema) continue;
    if (name in schemas) throw new Error(`two schemas of docs/openapi.json are named ${name}`);
    answers.set(name, schema);
    schemas[name] = schemaObject(schema, 'output');
  }
  schemas.Error = schemaObject(ErrorAnswer, 'output');

  const responses: Record<string, unknown> = {};
  for (const [name, { status, description }] of Object.entries(ERROR_RESPONSES)) {
    responses[name] = {
      description,
      ...(status === '503'
        ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } } }
        : {}),
      content: { 'application/json': { schema: ref('schemas', 'Error') } },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Lethe erasure API',
      version,
      summary: 'Policy-as-code retention and erasure for AWS: holdings, subject events, erasure requests, legal holds',
      description:
        'Generated from lib/runtime/routes.ts, lib/runtime/api-schemas.ts and lib/runtime/api-responses.ts by `npm run openapi`; do not edit. What each field means: docs/api.md.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      {
        url: 'https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}',
        description: "Your deployed stack: its output ApiUrl (requests are signed with SigV4, service 'execute-api')",
        variables: {
          restApiId: { default: 'your-rest-api-id', description: 'The id in the stack output ApiUrl' },
          region: { default: 'eu-north-1', description: "The stack's region" },
          stage: { default: DEFAULT_STAGE, description: 'The stage name (ErasureApi stageName)' },
        },
      },
      {
        url: 'http://127.0.0.1:{port}',
        description: 'Local mode (`npm start`), with the bearer token it prints',
        variables: { port: { default: String(LOCAL_DEFAULT_PORT), description: 'PORT or --port of npm start' } },
      },
    ],
    security: [{ sigv4: [] }, { localToken: [] }],
    tags: [...new Set(routes.map(tagOf))].map((name) => ({
      name,
      ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
    })),
    paths,
    components: {
      schemas,
      parameters,
      responses,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS IAM: sign each request with Signature Version 4 for the service execute-api (the caller needs execute-api:Invoke)',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        localToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'Local mode only: the token `npm start` prints (also in .lethe/token)',
        },
      },
    },
  };
}

/** The document as written to docs/openapi.json: two-space indented, in a stable order, with a final newline. */
export function openApiText(version: string): string {
  return `${JSON.stringify(openApiDocument(version), null, 2)}\n`;
}
