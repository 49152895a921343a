/**
 * The routes of the erasure API: the ONE table that the three places serving it read.
 * - The handler (lib/runtime/api.ts) builds its @middy/http-router routes from it, one handler per operation.
 * - The stack (lib/stack/erasure-api.ts) creates a resource per path segment and a method per route, with the
 *   route's body model (lib/runtime/api-schemas.ts) and its path parameters required.
 * - Local mode (lib/local/api-gateway.ts) matches requests against it, as API Gateway matches its resources.
 *
 * Adding a route is one entry here and its handler in lib/runtime/api.ts (the compiler asks for the handler).
 * Every route uses the API's one authorizer (IAM/SigV4 unless the stack is given another).
 */
import type { API_BODY_SCHEMAS, API_QUERY_SCHEMAS } from './api-schemas';

export interface ApiRoute {
  /** The handler's name for the route (lib/runtime/api.ts has one handler per operation). */
  readonly operation: string;
  readonly method: 'GET' | 'POST';
  /** The resource path as API Gateway writes it: `{name}` is a path parameter, one whole segment. */
  readonly path: `/${string}`;
  /** The request body's schema, by its model name in API_BODY_SCHEMAS; none for a route without a body. */
  readonly body?: keyof typeof API_BODY_SCHEMAS;
  /** The query string's schema, by its name in API_QUERY_SCHEMAS; none for a route without query parameters. */
  readonly query?: keyof typeof API_QUERY_SCHEMAS;
  /** The status of a successful answer. */
  readonly status: 200 | 201 | 202;
}

/** In the order the stack creates them (the order is part of the deployment's logical ID: keep it, append). */
export const API_ROUTES = [
  { operation: 'createErasureRequest', method: 'POST', path: '/erasure-requests', body: 'ErasureRequest', status: 202 },
  { operation: 'viewErasureRequest', method: 'GET', path: '/erasure-requests/{requestId}', status: 200 },
  { operation: 'extendErasureRequest', method: 'POST', path: '/erasure-requests/{requestId}/extend', body: 'ExtendRequest', status: 200 },
  { operation: 'registerHolding', method: 'POST', path: '/subjects/{subjectId}/holdings', body: 'Holding', status: 201 },
  { operation: 'recordSubjectEvent', method: 'POST', path: '/subjects/{subjectId}/events', body: 'SubjectEvent', status: 201 },
  { operation: 'viewSubject', method: 'GET', path: '/subjects/{subjectId}', status: 200 },
  // Legal holds (spec 2.3, lib/runtime/holds.ts).
  { operation: 'placeHold', method: 'POST', path: '/subjects/{subjectId}/holds', body: 'Hold', status: 201 },
  { operation: 'releaseHold', method: 'POST', path: '/subjects/{subjectId}/holds/{holdId}/release', status: 200 },
  { operation: 'listHolds', method: 'GET', path: '/subjects/{subjectId}/holds', status: 200 },
  // Restriction (Art. 18) and access (Art. 15) requests (spec 2.4, lib/runtime/subject-requests.ts).
  { operation: 'createRestrictionRequest', method: 'POST', path: '/restriction-requests', body: 'RestrictionRequest', status: 202 },
  { operation: 'viewRestrictionRequest', method: 'GET', path: '/restriction-requests/{requestId}', status: 200 },
  {
    operation: 'extendRestrictionRequest',
    method: 'POST',
    path: '/restriction-requests/{requestId}/extend',
    body: 'ExtendRequest',
    status: 200,
  },
  { operation: 'createAccessRequest', method: 'POST', path: '/access-requests', body: 'AccessRequest', status: 202 },
  { operation: 'viewAccessRequest', method: 'GET', path: '/access-requests/{requestId}', status: 200 },
  { operation: 'extendAccessRequest', method: 'POST', path: '/access-requests/{requestId}/extend', body: 'ExtendRequest', status: 200 },
  // Signed receipts (issue 19, item 2; lib/runtime/receipts.ts).
  { operation: 'viewErasureReceipt', method: 'GET', path: '/erasure-requests/{requestId}/receipt', status: 200 },
  // Lifting a restriction (spec 2.4, lib/runtime/restrictions.ts).
  { operation: 'liftRestrictionRequest', method: 'POST', path: '/restriction-requests/{requestId}/lift', status: 200 },
  // The DPO console's read-only views (issue 18; lib/runtime/request-list.ts, retention-stats.ts).
  { operation: 'listRequests', method: 'GET', path: '/requests', query: 'RequestListQuery', status: 200 },
  { operation: 'viewDueCalendar', method: 'GET', path: '/retention/calendar', query: 'DueCalendarQuery', status: 200 },
  { operation: 'viewHoldingStates', method: 'GET', path: '/retention/holdings', query: 'HoldingStatesQuery', status: 200 },
  // The receipts of restriction and access requests (issue 19, item 2; lib/runtime/receipts.ts).
  { operation: 'viewRestrictionReceipt', method: 'GET', path: '/restriction-requests/{requestId}/receipt', status: 200 },
  { operation: 'viewAccessReceipt', method: 'GET', path: '/access-requests/{requestId}/receipt', status: 200 },
] as const satisfies readonly ApiRoute[];

export type ApiOperation = (typeof API_ROUTES)[number]['operation'];

/** The route of each operation. */
export const API_ROUTE = Object.fromEntries(API_ROUTES.map((route) => [route.operation, route])) as {
  readonly [R in (typeof API_ROUTES)[number] as R['operation']]: R;
};

/** The `{name}` path parameters of a resource path, in order. */
export function pathParametersOf(path: string): string[] {
  return [...path.matchAll(/\{([^/{}]+)\}/g)].map((m) => m[1]);
}
