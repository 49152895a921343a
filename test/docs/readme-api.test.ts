/**
 * README.md's "The API, one curl per route": every route of the route table (lib/runtime/routes.ts) has its curl
 * line, and the lines, sent in order to the API handler on fakes with local mode's default policy, answer each
 * route's success status (a later line's HOLD_ID or REQUEST_ID is the id an earlier answer gave).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyFile } from '../../lib/policy';
import { eraseInSystem, finishErasure, planErasure } from '../../lib/runtime/erasure';
import { API_ROUTES, type ApiRoute, pathParametersOf } from '../../lib/runtime/routes';
import { apiClient } from '../lambdas/helpers';
import { createWorld, type TestWorld } from '../lib/runtime/support/runtime';

const ROOT = join(__dirname, '..', '..');
const HEADING = '### The API, one curl per route';
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface CurlLine {
  readonly line: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  readonly idempotencyKey?: string;
  /** The query string (`"$API/requests?limit=10"`), decoded. */
  readonly query?: Record<string, string>;
}

function curlLines(text: string): CurlLine[] {
  const start = text.indexOf(HEADING);
  if (start < 0) throw new Error(`README.md has no section "${HEADING}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start))![1];
  return block
    .split('\n')
    .filter((line) => line.startsWith('curl '))
    .map((line) => {
      const body = / -d '(.*)'$/.exec(line)?.[1];
      const key = /-H 'Idempotency-Key: ([^']+)'/.exec(line)?.[1];
      return {
        line,
        method: line.includes('-X POST') ? 'POST' : 'GET',
        path: /\$API(\/[^\s"'?]*)/.exec(line)![1],
        ...(/\$API\/[^\s"'?]*\?([^\s"']*)/.test(line)
          ? { query: Object.fromEntries(new URLSearchParams(/\$API\/[^\s"'?]*\?([^\s"']*)/.exec(line)![1])) }
          : {}),
        ...(body === undefined ? {} : { body: JSON.parse(body) as unknown }),
        ...(key === undefined ? {} : { idempotencyKey: key }),
      };
    });
}

/** The route a curl line calls, and its path parameters, as API Gateway matches them (a `{name}` is one segment). */
function match(curl: CurlLine): { route: ApiRoute; params: Record<string, string> } | undefined {
  for (const route of API_ROUTES as readonly ApiRoute[]) {
    if (route.method !== curl.method) continue;
    const pattern = new RegExp(`^${route.path.replace(/\{[^/]+\}/g, '([^/]+)')}$`);
    const m = pattern.exec(curl.path);
    if (m) return { route, params: Object.fromEntries(pathParametersOf(route.path).map((p, i) => [p, m[i + 1]])) };
  }
  return undefined;
}

/** What the erasure state machine does for a request: plan, each record, finish. */
async function completeWorkflow(world: TestWorld, requestId: string): Promise<void> {
  const planned = await planErasure(world.rt, requestId);
  for (const { system, record } of planned.systems) await eraseInSystem(world.rt, requestId, system, record);
  await finishErasure(world.rt, { requestId, results: [] });
}

describe(`README.md, "${HEADING.slice(4)}"`, () => {
  const lines = curlLines(readme);

  it('has a curl line for every route of lib/runtime/routes.ts, and none for a route it does not have', () => {
    const matched = lines.map((c) => ({ curl: `${c.method} ${c.path}`, operation: match(c)?.route.operation }));
    expect(matched.filter((m) => m.operation === undefined)).toEqual([]);
    const covered = new Set(matched.map((m) => m.operation));
    const missing = (API_ROUTES as readonly ApiRoute[]).filter((r) => !covered.has(r.operation)).map((r) => `${r.method} ${r.path}`);
    if (missing.length > 0) throw new Error(`README.md, "${HEADING.slice(4)}": add a curl line for ${missing.join(', ')}`);
  });

  it('finds a missing route (so the check above can fail)', () => {
    const without = readme.replace(/^curl .*\/extend .*$/m, '');
    const covered = new Set(curlLines(without).map((c) => match(c)?.route.operation));
    expect(covered.has('extendErasureRequest')).toBe(false);
  });

  describe('sent in order to the API with the default policy', () => {
    let world: TestWorld;
    beforeAll(() => {
      const { policy } = loadPolicyFile(join(ROOT, 'examples', 'dh-solutions.yaml'));
      // After every timestamp the lines send (a collection or event in the future is refused).
      world = createWorld({ policy, now: '2026-12-04T12:00:00Z' });
    });
    afterAll(() => world.restore());

    it('answers each line with its route status', async () => {
      const api = apiClient(world);
      const ids: Record<string, string> = {};
      const answers: { line: string; status: number; expected: number }[] = [];
      for (const curl of lines) {
        const path = curl.path.replace('HOLD_ID', ids.holdId ?? 'HOLD_ID').replace('REQUEST_ID', ids.requestId ?? 'REQUEST_ID');
        const { route, params } = match({ ...curl, path })!;
        // A restriction is lifted once its workflow completed (the state machine's three tasks, run here in place)
        if (route.operation === 'liftRestrictionRequest') await completeWorkflow(world, params.requestId);
        // ... and a receipt is issued once the erasure request completed
        if (route.operation === 'viewErasureReceipt') await completeWorkflow(world, params.requestId);
        // ... and so is an access request's (a restriction's completed before its lift)
        if (route.operation === 'viewAccessReceipt') await completeWorkflow(world, params.requestId);
        const answer = await api.call({
          method: curl.method,
          path,
          pathParameters: params,
          ...(curl.query ? { queryStringParameters: curl.query } : {}),
          ...(curl.body === undefined ? {} : { body: curl.body }),
          headers: curl.idempotencyKey ? { 'Idempotency-Key': curl.idempotencyKey } : {},
        });
        for (const key of ['holdId', 'requestId']) if (typeof answer.body[key] === 'string') ids[key] = answer.body[key];
        answers.push({ line: `${curl.method} ${curl.path}`, status: answer.status, expected: route.status });
      }
      expect(answers.filter((a) => a.status !== a.expected)).toEqual([]);
      expect(answers.length).toBe(lines.length);
    });
  });
});
