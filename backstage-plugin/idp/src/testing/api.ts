/**
 * The Platform API for component tests: the real `PlatformClient` (its request building and error parsing are what
 * the tabs rely on) over a fetch that answers from a route table, as the server would — JSON bodies, and errors in the
 * API's `{ error: { code, message } }` shape.
 */
import { PlatformClient } from '@idp/core/client';

export interface Answer {
  status?: number;
  body: unknown;
}
export type Handler = (req: { method: string; path: string; query: URLSearchParams; body: any }) => Answer | Promise<Answer>;

export interface FakeApi {
  client: PlatformClient;
  /** Every request, in order: `GET /environments?repo=…`. */
  calls: string[];
  /** Requests with their bodies. */
  requests: Array<{ method: string; path: string; query: URLSearchParams; body: any; signal?: AbortSignal }>;
}

export function fakeApi(routes: Record<string, Handler>): FakeApi {
  const calls: string[] = [];
  const requests: FakeApi['requests'] = [];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/idp/, '');
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push(`${method} ${path}${url.search}`);
    requests.push({ method, path, query: url.searchParams, body, signal: init?.signal ?? undefined });
    const key = Object.keys(routes).find((k) => new RegExp(`^${k.replace(/:[a-z]+/gi, '[^/]+')}$`).test(`${method} ${path}`));
    const answer = key ? await routes[key]!({ method, path, query: url.searchParams, body }) : { status: 404, body: { error: { code: 'not_found', message: `No route ${method} ${path}` } } };
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200, headers: { 'content-type': 'application/json' } });
  };
  return { client: new PlatformClient({ baseUrl: async () => 'http://idp.test/api/idp', fetch: fetchImpl as typeof fetch, retries: 0 }), calls, requests };
}

/** A promise the test settles when it chooses: what the server answers, and when. */
export function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
