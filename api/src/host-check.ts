/**
 * Which Host headers the API answers. A web page can make a browser send
 * requests to 127.0.0.1 under its own name (DNS rebinding: evil.example
 * resolving to 127.0.0.1), reaching the token-less loopback API; its requests
 * carry `Host: evil.example`. So only loopback names and the server's
 * configured public host(s) are served; anything else gets 421 before any route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** Whether a host (name or address, without port or brackets) is this machine's loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return LOOPBACK_NAMES.includes(h) || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '0:0:0:0:0:0:0:1';
}

/** The host name of a Host header value: without the port, brackets and a trailing dot, lower-case. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/**
 * A node:http middleware (usable with express) that refuses requests whose
 * Host is neither loopback nor one of `allowed` (names, or URLs whose host counts).
 */
export function hostAllowlist(allowed: readonly string[]): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const names = new Set(allowed.filter(Boolean).map((a) => hostName(/^[a-z][a-z0-9+.-]*:\/\//i.test(a) ? new URL(a).host : a)));
  return (req, res, next) => {
    const host = req.headers.host;
    if (host && (isLoopbackHost(hostName(host)) || names.has(hostName(host)))) {
      next();
      return;
    }
    const text = JSON.stringify({
      error: {
        code: 'forbidden',
        message: 'This server does not answer to that Host name. Use its configured address (IDP_API_URL), or add the name to IDP_ALLOWED_HOSTS on the server.',
      },
    });
    res.writeHead(421, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text);
  };
}
