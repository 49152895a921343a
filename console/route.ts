/**
 * Hash routing: `#/requests`, `#/requests/<kind>/<id>`, `#/retention`, `#/register`, `#/proof`, `#/proof/<requestId>`,
 * `#/subject`. No subject id ever goes into the hash: the subject lookup keeps it in the page's state only.
 */
import type { RequestKind } from '../lib/console/contract';

export type Route =
  | { readonly page: 'requests' }
  | { readonly page: 'request'; readonly kind: RequestKind; readonly requestId: string }
  | { readonly page: 'retention' }
  | { readonly page: 'register' }
  | { readonly page: 'proof'; readonly requestId?: string }
  | { readonly page: 'subject' }
  | { readonly page: 'not-found' };

const KINDS: readonly string[] = ['erasure', 'restriction', 'access'];

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * The route a hash names. `undefined` for a hash that is no route (`#main`, the skip link's target): the page shown
 * stays. An empty hash is the requests page.
 */
export function parseRoute(hash: string): Route | undefined {
  if (hash === '' || hash === '#' || hash === '#/') return { page: 'requests' };
  if (!hash.startsWith('#/')) return undefined;
  const parts = hash.slice(2).split('/');
  const [page, a, b] = parts;
  if (page === 'requests' && parts.length === 1) return { page: 'requests' };
  if (page === 'requests' && parts.length === 3 && KINDS.includes(a)) {
    const requestId = decode(b);
    if (requestId) return { page: 'request', kind: a as RequestKind, requestId };
  }
  if ((page === 'retention' || page === 'register' || page === 'subject') && parts.length === 1) return { page };
  if (page === 'proof' && parts.length === 1) return { page: 'proof' };
  if (page === 'proof' && parts.length === 2) {
    const requestId = decode(a);
    if (requestId) return { page: 'proof', requestId };
  }
  return { page: 'not-found' };
}

/** The hash of a route. */
export function hrefOf(route: Route): string {
  switch (route.page) {
    case 'request':
      return `#/requests/${route.kind}/${encodeURIComponent(route.requestId)}`;
    case 'proof':
      return route.requestId === undefined ? '#/proof' : `#/proof/${encodeURIComponent(route.requestId)}`;
    case 'not-found':
      return '#/requests';
    default:
      return `#/${route.page}`;
  }
}
