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
/** A handler answers JSON (an Answer), or a whole Response — a stream, as GET /logs/tail answers (see ndjsonStream). */
export type Handler = (req: { method: string; path: string; query: URLSearchParams; body: any; signal?: AbortSignal }) => Answer | Response | Promise<Answer | Response>;

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
    const answer = key ? await routes[key]!({ method, path, query: url.searchParams, body, signal: init?.signal ?? undefined }) : { status: 404, body: { error: { code: 'not_found', message: `No route ${method} ${path}` } } };
    if (answer instanceof Response) return answer;
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

/**
 * A streamed NDJSON answer, written by the test as a server would write it: `send` one or more events (one chunk),
 * `raw` any bytes (a line split across chunks), `end` the stream, `fail` it (the connection broke). Like a browser's
 * fetch, aborting the request's signal errors the body (the reader stops). `closed` settles when the client stopped
 * reading: it aborted, cancelled, or the stream ended.
 */
export function ndjsonStream(signal?: AbortSignal) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  let resolveClosed!: (why: 'aborted' | 'cancelled' | 'ended' | 'failed') => void;
  const closed = new Promise<'aborted' | 'cancelled' | 'ended' | 'failed'>((r) => (resolveClosed = r));
  const stream = new ReadableStream<Uint8Array>({
    start: (c) => void (controller = c),
    cancel: () => {
      done = true;
      resolveClosed('cancelled');
    },
  });
  const encoder = new TextEncoder();
  signal?.addEventListener('abort', () => {
    if (done) return;
    done = true;
    controller.error(new DOMException('The operation was aborted.', 'AbortError'));
    resolveClosed('aborted');
  });
  return {
    response: new Response(stream, { status: 200, headers: { 'content-type': 'application/x-ndjson; charset=utf-8' } }),
    send(...events: unknown[]) {
      if (!done) controller.enqueue(encoder.encode(events.map((e) => `${JSON.stringify(e)}\n`).join('')));
    },
    raw(text: string) {
      if (!done) controller.enqueue(encoder.encode(text));
    },
    end() {
      if (done) return;
      done = true;
      controller.close();
      resolveClosed('ended');
    },
    fail() {
      if (done) return;
      done = true;
      controller.error(new TypeError('network error'));
      resolveClosed('failed');
    },
    closed,
    get open() {
      return !done;
    },
  };
}
