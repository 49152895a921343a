/** console/route.ts: the hash routes, and that a route's hash parses back to it. */
import { hrefOf, parseRoute, type Route } from '../../console/route';

describe('parseRoute', () => {
  it.each<[string, Route | undefined]>([
    ['', { page: 'requests' }],
    ['#/', { page: 'requests' }],
    ['#/requests', { page: 'requests' }],
    ['#/requests/erasure/r-1', { page: 'request', kind: 'erasure', requestId: 'r-1' }],
    ['#/requests/access/a%2Fb', { page: 'request', kind: 'access', requestId: 'a/b' }],
    ['#/requests/other/r-1', { page: 'not-found' }],
    ['#/requests/erasure/%E0%A4%A', { page: 'not-found' }],
    ['#/retention', { page: 'retention' }],
    ['#/register', { page: 'register' }],
    ['#/proof', { page: 'proof' }],
    ['#/proof/r-9', { page: 'proof', requestId: 'r-9' }],
    ['#/subject', { page: 'subject' }],
    ['#/subject/user-1', { page: 'not-found' }],
    ['#/nowhere', { page: 'not-found' }],
    ['#main', undefined],
    ['#activity-orders', undefined],
  ])('GIVEN the hash %j THEN %j', (hash, expected) => {
    expect(parseRoute(hash)).toEqual(expected);
  });
});

describe('hrefOf', () => {
  it.each<Route>([
    { page: 'requests' },
    { page: 'request', kind: 'restriction', requestId: 'r 1/2' },
    { page: 'retention' },
    { page: 'register' },
    { page: 'proof' },
    { page: 'proof', requestId: 'r-9' },
    { page: 'subject' },
  ])('GIVEN %j WHEN its hash is parsed THEN it is the same route', (route) => {
    expect(parseRoute(hrefOf(route))).toEqual(route);
  });
});
