/**
 * A fake Platform API for CLI unit tests: node:http on 127.0.0.1 (port 0)
 * speaking the contract's JSON, recording every request. The real end-to-end
 * test runs the CLI against the real stack.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Recorded {
  method: string;
  /** Decoded, relative to the API base. */
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type Reply = {
  status?: number;
  body?: unknown;
  delayMs?: number;
  headers?: Record<string, string>;
  /** A streamed answer (NDJSON): `write` sends a chunk at once; the response ends when the promise settles. */
  stream?: (write: (chunk: string) => void, closed: Promise<void>) => Promise<void>;
};
export type Route = (req: Recorded) => Reply | Promise<Reply>;

export interface FakeApi {
  url: string;
  requests: Recorded[];
  /** Routes by "METHOD /path" (path relative to the API base, without the query). */
  routes: Map<string, Route>;
  on(key: string, route: Route | Reply): void;
  close(): Promise<void>;
}

export const BASE_PATH = '/api/idp';

export async function startFakeApi(): Promise<FakeApi> {
  const requests: Recorded[] = [];
  const routes = new Map<string, Route>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const pathname = url.pathname.split('/').map(decodeURIComponent).join('/');
    const rec: Recorded = {
      method: req.method ?? 'GET',
      path: pathname.startsWith(BASE_PATH) ? pathname.slice(BASE_PATH.length) : pathname,
      query: Object.fromEntries(url.searchParams),
      headers: req.headers,
      body: raw ? JSON.parse(raw) : undefined,
    };
    requests.push(rec);
    const route = routes.get(`${rec.method} ${rec.path}`);
    const reply: Reply = route ? await route(rec) : { status: 404, body: { error: { code: 'not_found', message: `No route ${rec.method} ${rec.path} in the fake API.` } } };
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.stream) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/x-ndjson', ...reply.headers });
      res.flushHeaders();
      const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      await reply.stream((chunk) => void res.write(chunk), closed);
      res.end();
      return;
    }
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${BASE_PATH}`,
    requests,
    routes,
    on(key, route) {
      routes.set(key, typeof route === 'function' ? route : () => route);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
