/** The standalone Platform API: the shared router on a plain HTTP server (the embedded default). */
import express from 'express';
import type { Server } from 'node:http';
import { API_BASE_PATH } from '@idp/core/client';
import { createRouter, type RouterOptions } from './router.js';
import { createWebhookReceiver, type WebhookReceiverOptions } from './webhooks/receiver.js';
import { hostAllowlist } from './host-check.js';

export async function startApiServer(
  opts: RouterOptions & {
    host: string;
    port: number;
    webhooks?: Omit<WebhookReceiverOptions, 'temporal'>;
    /** Host names (or URLs) served besides loopback ones: the public address (IDP_API_URL, IDP_ALLOWED_HOSTS). */
    allowedHosts?: string[];
  },
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  // Before any route: a request under a foreign Host name is a DNS-rebinding page, not a client of this server.
  app.use(hostAllowlist([...(opts.allowedHosts ?? []), ...(isWildcard(opts.host) ? [] : [opts.host])]));
  // Forge webhooks verify a signature over the raw body: mounted before anything parses it.
  if (opts.webhooks?.github || opts.webhooks?.gitlab || opts.webhooks?.hosts?.length) {
    app.post(['/webhooks/github', '/webhooks/gitlab', '/webhooks/github/:host', '/webhooks/gitlab/:host'], createWebhookReceiver({ ...opts.webhooks, temporal: opts.temporal }));
  }
  app.use(API_BASE_PATH, createRouter(opts));
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host}:${port}${API_BASE_PATH}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** 0.0.0.0 / :: listen everywhere: not a name anyone reaches the server by. */
const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '';
