/**
 * An HTTP proxy in front of a real store (moto, the Vault fake) that answers the next N requests with a failure in
 * the store's own error format, and forwards everything else untouched. The store's client is pointed at the
 * proxy, so its retries, error parsing and error mapping meet the failure exactly as they would from the service.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StoreFault, StoreFaults } from '../secrets/contract.js';

/** The store's answer to a request that meets `fault`. */
export interface FaultAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}
export type FaultFormat = (fault: StoreFault) => FaultAnswer;

export interface FaultProxy extends StoreFaults {
  /** Where the client goes instead of the store. */
  readonly url: string;
  /** Requests that reached the store through the proxy (not answered with a fault). */
  forwarded(): number;
  close(): Promise<void>;
}

/** AWS's JSON 1.1 protocol (Secrets Manager): a 4xx/5xx with the error code in `__type` and `x-amzn-ErrorType`. */
export const awsJsonFault: FaultFormat = (fault) => {
  const [status, type, message] = {
    'permission-denied': [400, 'AccessDeniedException', 'User: arn:aws:iam::123456789012:user/idp is not authorized to perform this action'],
    throttled: [400, 'ThrottlingException', 'Rate exceeded'],
    unavailable: [500, 'InternalServiceError', 'An error occurred on the server side.'],
  }[fault] as [number, string, string];
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': crypto.randomUUID() },
    body: JSON.stringify({ __type: type, message }),
  };
};

/** Vault's error body: `{ "errors": [...] }` with 403 / 429 / 500 (https://developer.hashicorp.com/vault/api-docs#error-response). */
export const vaultFault: FaultFormat = (fault) => {
  const [status, message] = { 'permission-denied': [403, 'permission denied'], throttled: [429, 'request rate limit exceeded'], unavailable: [500, 'internal error'] }[fault] as [number, string];
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [message] }) };
};

/** Starts a proxy on a free 127.0.0.1 port forwarding to `target` (e.g. http://127.0.0.1:5077). */
export async function faultProxy(target: string, format: FaultFormat): Promise<FaultProxy> {
  const upstream = new URL(target);
  let pending: { fault: StoreFault; left: number } | undefined;
  let served = 0;
  let forwarded = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (pending && pending.left > 0) {
      pending.left -= 1;
      served += 1;
      const answer = format(pending.fault);
      // Read the request to its end first: answering mid-upload resets some clients' sockets.
      req.resume();
      req.on('end', () => {
        res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
        res.end(answer.body);
      });
      return;
    }
    forwarded += 1;
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${target} unreachable: ${e.message}`);
    });
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    inject(fault, times) {
      pending = { fault, left: times };
    },
    clear() {
      pending = undefined;
    },
    served: () => served,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
