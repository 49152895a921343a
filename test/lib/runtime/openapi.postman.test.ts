/**
 * docs/openapi.json imported as Postman imports it (issue 14 leftovers, item 5): converted by openapi-to-postmanv2, the
 * converter Postman's own importer uses, offline, into a Postman collection. The import must succeed without an error,
 * print nothing (no warning), and give one request per operation of the document, each with its path variables, its
 * Idempotency-Key header where the document has one, and an example body; a reference the converter could not resolve
 * (which it does not count as an error: it writes "reference … not found" into the example) fails it too. That the
 * document is valid OpenAPI 3.1 for a Swagger-style validator (@readme/openapi-parser) is openapi.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertV2 } from 'openapi-to-postmanv2';
import { OPENAPI_FILE } from '../../../lib/runtime/openapi';

const ROOT = join(__dirname, '..', '..', '..');
const published = (): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, OPENAPI_FILE), 'utf8')) as Record<string, unknown>;

interface PostmanRequest {
  readonly method: string;
  readonly url: { readonly path?: string[]; readonly host?: string[]; readonly variable?: { key: string }[] };
  readonly header?: { key: string; disabled?: boolean }[];
  readonly body?: { mode?: string; raw?: string };
}
interface PostmanItem {
  readonly name: string;
  readonly item?: PostmanItem[];
  readonly request?: PostmanRequest;
}
interface Imported {
  readonly error?: string;
  readonly collection?: { item: PostmanItem[]; variable?: { key: string; value: string }[] };
  /** What the converter printed while it ran (console.log, warn, error). */
  readonly printed: string[];
}

/** Converts a document as Postman's importer does (default options), catching what the converter prints. */
async function importIntoPostman(document: Record<string, unknown>): Promise<Imported> {
  const printed: string[] = [];
  const spies = (['log', 'info', 'warn', 'error'] as const).map((level) =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void printed.push(`${level}: ${args.join(' ')}`)),
  );
  try {
    return await new Promise<Imported>((resolve) =>
      convertV2({ type: 'json', data: document }, {}, (error, result) => {
        if (error) resolve({ error: `${error.name ?? 'Error'}: ${error.message}`, printed });
        else if (!result?.result) resolve({ error: result?.reason ?? 'no result', printed });
        else resolve({ collection: result.output?.[0]?.data as Imported['collection'], printed });
      }),
    );
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

function requestsOf(items: readonly PostmanItem[]): PostmanRequest[] {
  return items.flatMap((item) => (item.item ? requestsOf(item.item) : item.request ? [item.request] : []));
}

/** `METHOD /a/{b}` for each operation of the document, and for each request of the collection (`:b` → `{b}`). */
const operationsOf = (document: Record<string, unknown>): string[] =>
  Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
const requestLine = (r: PostmanRequest): string =>
  `${r.method} /${(r.url.path ?? []).map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/')}`;

/** What the converter leaves in a collection where it could not follow the document. */
const UNRESOLVED = /not found in the OpenAPI spec|<Error[^>]*>/;

describe('docs/openapi.json imported into Postman (openapi-to-postmanv2)', () => {
  let imported: Imported;
  beforeAll(async () => {
    imported = await importIntoPostman(published());
  });

  test('converts without an error, and the converter prints nothing (no warning)', () => {
    expect(imported.error).toBeUndefined();
    expect(imported.printed).toEqual([]);
    expect(UNRESOLVED.exec(JSON.stringify(imported.collection))).toBeNull();
  });

  test('one request per operation of the document, at {{baseUrl}}, with its path variables', () => {
    const requests = requestsOf(imported.collection!.item);
    expect(requests.map(requestLine).sort()).toEqual(operationsOf(published()));
    for (const request of requests) {
      expect(request.url.host).toEqual(['{{baseUrl}}']);
      const params = (request.url.path ?? []).filter((s) => s.startsWith(':')).map((s) => s.slice(1));
      expect((request.url.variable ?? []).map((v) => v.key)).toEqual(params);
    }
    // The base URL is the document's first server (the stack's), with its variables.
    expect(imported.collection!.variable?.find((v) => v.key === 'baseUrl')?.value).toMatch(/^https:\/\/\{\{restApiId\}\}\.execute-api\./);
  });

  test('the Idempotency-Key header on every operation that has it in the document, and an example body on every POST with a body', () => {
    const document = published() as { paths: Record<string, Record<string, { parameters?: { $ref: string }[]; requestBody?: unknown }>> };
    const requests = requestsOf(imported.collection!.item);
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const request = requests.find((r) => requestLine(r) === `${method.toUpperCase()} ${path}`)!;
        const keyed = (operation.parameters ?? []).some((p) => p.$ref.startsWith('#/components/parameters/Idempotency-Key'));
        expect([`${method} ${path}`, (request.header ?? []).some((h) => h.key === 'Idempotency-Key')]).toEqual([
          `${method} ${path}`,
          keyed,
        ]);
        if (operation.requestBody) expect(JSON.parse(request.body?.raw ?? 'null')).toEqual(expect.any(Object));
      }
    }
    expect(
      requests
        .filter((r) => (r.header ?? []).some((h) => h.key === 'Idempotency-Key'))
        .map(requestLine)
        .sort(),
    ).toEqual(
      expect.arrayContaining([
        'POST /erasure-requests',
        'POST /restriction-requests',
        'POST /access-requests',
        'POST /subjects/{subjectId}/holds',
      ]),
    );
  });

  // The checks above can fail: what the converter does with a broken document.
  test.each<[string, (d: Record<string, any>) => void, 'error' | 'unresolved']>([
    [
      'a body schema that references nothing',
      (d) => (d.paths['/erasure-requests'].post.requestBody.content['application/json'].schema = { $ref: '#/components/schemas/Nope' }),
      'unresolved',
    ],
    ['no info', (d) => delete d.info, 'error'],
    ['no paths', (d) => delete d.paths, 'error'],
  ])('a document with %s is caught', async (_what, breakIt, how) => {
    const document = structuredClone(published());
    breakIt(document);
    const result = await importIntoPostman(document);
    if (how === 'error') expect(result.error).toMatch(/UserError/);
    else expect(JSON.stringify(result.collection)).toMatch(UNRESOLVED);
  });
});
