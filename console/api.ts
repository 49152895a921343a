/**
 * The console's one way to the server: `GET`/`POST` of JSON on the console server's own origin (`/api/...`, forwarded
 * to the Lethe API; `/console-api/...`, answered by the console server). An answer other than 2xx becomes an ApiError
 * carrying the API's `{"error": {code, message}}` message, which the pages show as it is.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The error of a failed answer: the API's own message when the body is `{"error": {code, message}}`. */
async function errorOf(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = body.error ?? {};
    if (typeof message === 'string' && message !== '') {
      return new ApiError(response.status, typeof code === 'string' ? code : 'error', message);
    }
  } catch {
    // Not JSON: the status says what there is to say.
  }
  return new ApiError(response.status, 'http', `HTTP ${response.status}`);
}

async function call<T>(path: string, method: 'GET' | 'POST', body: unknown, fetchImpl: Fetch): Promise<T> {
  const init: RequestInit =
    method === 'GET'
      ? { method, credentials: 'same-origin', headers: { accept: 'application/json' } }
      : {
          method,
          body: JSON.stringify(body),
          credentials: 'same-origin',
          headers: { accept: 'application/json', 'content-type': 'application/json' },
        };
  let response: Response;
  try {
    response = await fetchImpl(path, init);
  } catch (error) {
    throw new ApiError(0, 'network', error instanceof Error ? error.message : String(error));
  }
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export const getJson = <T>(path: string, fetchImpl: Fetch = fetch): Promise<T> => call<T>(path, 'GET', undefined, fetchImpl);

export const postJson = <T>(path: string, body: unknown, fetchImpl: Fetch = fetch): Promise<T> => call<T>(path, 'POST', body, fetchImpl);

/** A path with its query: parameters left undefined or empty are not sent. */
export function withQuery(path: string, query: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export type Loaded<T> =
  { readonly state: 'loading' } | { readonly state: 'failed'; readonly error: ApiError } | { readonly state: 'done'; readonly data: T };

/**
 * GETs `path` whenever it changes; `reload` asks again, showing what was loaded until the new answer comes (so that a
 * form on the page keeps its message).
 */
export function useGet<T>(path: string): Loaded<T> & { readonly reload: () => void } {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  const [round, setRound] = useState(0);
  const shown = useRef<string | undefined>(undefined);
  useEffect(() => {
    let current = true;
    if (shown.current !== path) setLoaded({ state: 'loading' });
    shown.current = path;
    getJson<T>(path).then(
      (data) => current && setLoaded({ state: 'done', data }),
      (error: unknown) =>
        current && setLoaded({ state: 'failed', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error)) }),
    );
    return () => {
      current = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...loaded, reload };
}
