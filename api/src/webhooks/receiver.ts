/**
 * The webhook receiver: forges tell idp at once that a PR was merged, closed,
 * reviewed or pushed to, instead of waiting for a workflow's next poll.
 *
 *   POST /webhooks/github   X-Hub-Signature-256 (HMAC of the body with the secret)
 *   POST /webhooks/gitlab   X-Gitlab-Token
 *
 * A verified delivery becomes signals: `prEvent` to the workflow that owns the
 * PR's branch (idp/<kind>/<component>/<env>), and `baseMoved` to every running
 * change of the repository when its branches moved (push, merge). Signals carry
 * no authority — a workflow only re-reads the PR from the forge — so the
 * receiver never has to be right about the PR, only verified and fast.
 *
 * A plain node:http handler: it needs the raw body (the signature is over the
 * exact bytes), so mount it before any body parser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { workflowForBranch } from '@idp/core';
import { baseMovedSignal, prEventSignal, type PrEvent } from '@idp/workflows/shared';
import { signalBaseMoved } from '../workflows.js';
import { repoKey } from '@idp/providers';
import { header, WebhookRejected, type ForgeEvent, type WebhookHeaders } from './event.js';
import { parseGitHubWebhook } from './github.js';
import { parseGitLabWebhook, verifyGitLabToken } from './gitlab.js';

export interface WebhookReceiverOptions {
  temporal: Client;
  /** Serve POST /webhooks/github; host is the GitHub (Enterprise) host of the repositories, default github.com. */
  github?: { secret: string; host?: string };
  /** Serve POST /webhooks/gitlab for the GitLab instance at host. */
  gitlab?: { secret: string; host: string };
  /**
   * More hosts (GitHub Enterprise, several GitLab instances), each at
   * POST /webhooks/<forge>/<host>. The first host of a forge also answers at
   * /webhooks/<forge> when `github`/`gitlab` above do not say otherwise.
   */
  hosts?: { forge: 'github' | 'gitlab'; host: string; secret: string }[];
  /** How many delivery ids are remembered for deduplication (default 10 000). */
  seen?: number;
  /** How long signalling may take before the delivery is answered 503 (default 8 s: forges give up after 10 s). */
  signalTimeoutMs?: number;
  /** Deliveries handled at once; more are answered 503 with Retry-After before their body is read (default 8). */
  maxInFlight?: number;
  /** Largest body accepted (default and ceiling: GitHub's 25 MB). */
  maxBodyBytes?: number;
  /** How long the body may take to arrive (default 10 s: the forges send it at once; a trickle only holds a slot). */
  bodyTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** GitHub's own limit for a delivery's payload; a larger body is not a webhook. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** GitHub and GitLab give up on a delivery after 10 s: answer (with an error if need be) before that. */
const SIGNAL_TIMEOUT_MS = 8_000;
/**
 * At most this many deliveries are read and handled at once: each may buffer up
 * to the body limit, and anyone can send one. A delivery refused with 503 only
 * delays a workflow's reaction to its next poll (signals carry no authority).
 */
const MAX_IN_FLIGHT = 8;
const BODY_TIMEOUT_MS = 10_000;

/** Temporal did not answer in time (or at all). */
class TemporalUnavailable extends Error {}

type Forge = ForgeEvent['forge'];
type Parser = (headers: WebhookHeaders, rawBody: Buffer, secret: string, host: string) => ForgeEvent | null;
const PARSERS: Record<Forge, Parser> = { github: parseGitHubWebhook, gitlab: parseGitLabWebhook };

/**
 * Delivery ids seen lately, least recently seen first (a Map keeps insertion order).
 *
 * In memory only, on purpose: a duplicate that gets through (after a restart,
 * or on another replica) costs one extra signal, and a signal only makes a
 * workflow re-read the PR from the forge — it changes nothing by itself. So
 * deduplication is an optimisation, not a correctness property, and needs no store.
 */
class SeenDeliveries {
  private readonly ids = new Map<string, true>();
  constructor(private readonly capacity: number) {}
  /** Remember `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) {
      this.ids.delete(id);
      this.ids.set(id, true);
      return false;
    }
    this.ids.set(id, true);
    while (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value!);
    return true;
  }
  forget(id: string): void {
    this.ids.delete(id);
  }
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createWebhookReceiver(opts: WebhookReceiverOptions): WebhookHandler {
  // Every receiving host with its secret: `<forge>/<host>`; the first of each forge also serves /webhooks/<forge>.
  const listed = [
    ...(opts.github ? [{ forge: 'github' as const, host: opts.github.host ?? 'github.com', secret: opts.github.secret }] : []),
    ...(opts.gitlab ? [{ forge: 'gitlab' as const, host: opts.gitlab.host, secret: opts.gitlab.secret }] : []),
    ...(opts.hosts ?? []),
  ].map((h) => ({ ...h, host: h.host.toLowerCase() }));
  const byHost = new Map<string, { secret: string; host: string }>();
  const config: Partial<Record<Forge, { secret: string; host: string }>> = {};
  for (const h of listed) {
    // An empty secret would make every signature check meaningless: refuse to start rather than accept anything.
    if (!h.secret) throw new Error(`The ${h.forge} webhook secret is empty (${h.host}); set one (and the same on the forge's side).`);
    if (!byHost.has(`${h.forge}/${h.host}`)) byHost.set(`${h.forge}/${h.host}`, h);
    config[h.forge] ??= h;
  }
  const seen = new SeenDeliveries(Math.max(1, opts.seen ?? 10_000));
  const log = opts.log ?? (() => undefined);
  const { temporal } = opts;
  const timeoutMs = opts.signalTimeoutMs ?? SIGNAL_TIMEOUT_MS;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? MAX_IN_FLIGHT);
  const maxBody = Math.min(MAX_BODY_BYTES, opts.maxBodyBytes ?? MAX_BODY_BYTES);
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? BODY_TIMEOUT_MS;
  let inFlight = 0;

  /**
   * Signal within the time limit. The gRPC deadline bounds each call; the timer
   * also bounds what the deadline does not (e.g. a first connection attempt).
   */
  async function signalInTime(event: ForgeEvent): Promise<{ signalled: number; baseMoved: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const work = temporal.withDeadline(Date.now() + timeoutMs, () => signal(event));
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TemporalUnavailable(`no answer within ${timeoutMs} ms`)), timeoutMs + 250);
    });
    work.catch(() => undefined); // when the timer wins, the late failure has no one to report to
    try {
      return await Promise.race([work, late]);
    } catch (err) {
      if (err instanceof ServiceError) throw new TemporalUnavailable(err.cause?.message ?? err.message);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async function signal(event: ForgeEvent): Promise<{ signalled: number; baseMoved: boolean }> {
    let signalled = 0;
    const id = event.branch ? workflowForBranch(event.branch, repoKey({ id: event.repoId })) : null;
    // The workflow only acts on an event for its own PR number: without one (a push, a commit status) there is nothing to say.
    if (id && event.number !== undefined) {
      const state: PrEvent['state'] = event.action === 'merged' ? 'merged' : event.action === 'closed' ? 'closed' : 'open';
      try {
        await temporal.workflow.getHandle(id).signal(prEventSignal, { number: event.number, state, ...(event.sha ? { headSha: event.sha } : {}) });
        signalled++;
      } catch (err) {
        // No such workflow, or it has finished: the PR is not (or no longer) followed by idp.
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    } else if (id?.startsWith('release:') && event.action === 'checks') {
      // A commit status names no PR, but a release's policy may wait for that check: let it look again.
      await temporal.workflow.getHandle(id).signal(baseMovedSignal).then(() => signalled++, (err: unknown) => {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      });
    }
    const baseMoved = event.action === 'pushed' || event.action === 'merged';
    if (baseMoved) await signalBaseMoved(temporal, event.repoId);
    return { signalled, baseMoved };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Relative to where it is mounted (Express strips the mount path from req.url): /webhooks/… on the standalone
    // server and the worker, /api/idp/webhooks/… in Backstage, which mounts the plugin's router under /api/idp.
    const url = req.url ?? '/';
    const path = new URL(url, 'http://localhost').pathname.replace(/\/+$/, '');
    const match = /^\/webhooks\/(github|gitlab)(?:\/([^/]+))?$/.exec(path);
    if (!match) return reply(res, 404, error('not_found', 'No such webhook; POST to /webhooks/github or /webhooks/gitlab (or /webhooks/<forge>/<host>).'));
    const forge = match[1] as Forge;
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, error('invalid_request', 'Webhooks are delivered with POST.'));
    }
    const forgeConfig = match[2] ? byHost.get(`${forge}/${decodeURIComponent(match[2]).toLowerCase()}`) : config[forge];
    if (!forgeConfig) {
      const what = match[2] ? `${forge} host ${decodeURIComponent(match[2])}` : forge;
      return reply(res, 404, error('not_found', `${what} webhooks are not enabled on this server (no webhook secret configured for it).`));
    }

    // Before a byte of the body is read: a delivery without its forge's credential header is not one.
    const signature = header(req.headers, 'x-hub-signature-256')?.trim().toLowerCase();
    if (forge === 'github' && !(signature && /^sha256=[0-9a-f]{64}$/.test(signature))) {
      return refuse(res, new WebhookRejected(401, 'Missing or malformed X-Hub-Signature-256: configure the webhook on GitHub with the secret idp was started with.'));
    }
    // GitLab sends the secret itself as a header: checked in full before the body is read.
    if (forge === 'gitlab' && !verifyGitLabToken(forgeConfig.secret, header(req.headers, 'x-gitlab-token'))) {
      return refuse(res, new WebhookRejected(401, 'Missing or wrong X-Gitlab-Token: the secret token of the GitLab webhook must match the one idp was started with.'));
    }
    if (inFlight >= maxInFlight) {
      log(`${forge} webhook: ${inFlight} deliveries in flight, refused (503)`);
      res.setHeader('retry-after', '5');
      res.setHeader('connection', 'close');
      return reply(res, 503, error('unavailable', 'Too many deliveries at once; redeliver in a few seconds.'));
    }
    inFlight++;
    try {
      await handleDelivery(req, res, forge, forgeConfig, signature);
    } finally {
      inFlight--;
    }
  }

  async function handleDelivery(req: IncomingMessage, res: ServerResponse, forge: Forge, forgeConfig: { secret: string; host: string }, signature: string | undefined): Promise<void> {
    // GitHub signs the body: the HMAC is computed as the bytes arrive, and checked the moment the last one does.
    const hmac = forge === 'github' ? createHmac('sha256', forgeConfig.secret) : undefined;
    const body = await readBody(req, maxBody, bodyTimeoutMs, hmac);
    if (body === 'too-large') {
      log(`${forge} webhook: body over ${maxBody} bytes, refused`);
      res.setHeader('connection', 'close');
      return reply(res, 413, error('invalid_request', `A webhook delivery is at most ${maxBody} bytes.`));
    }
    if (body === 'too-slow') {
      log(`${forge} webhook: body not received within ${bodyTimeoutMs} ms, refused`);
      res.setHeader('connection', 'close');
      return reply(res, 408, error('invalid_request', `The delivery body did not arrive within ${bodyTimeoutMs} ms.`));
    }
    if (hmac && !sameSignature(`sha256=${hmac.digest('hex')}`, signature!)) {
      return refuse(res, new WebhookRejected(401, 'Wrong X-Hub-Signature-256: the webhook secret configured on GitHub must match the one idp was started with.'));
    }

    let event: ForgeEvent | null;
    try {
      event = PARSERS[forge](req.headers, body, forgeConfig.secret, forgeConfig.host);
    } catch (err) {
      if (!(err instanceof WebhookRejected)) throw err;
      return refuse(res, err);
    }
    if (!event) return reply(res, 200, { ignored: true });

    const key = `${event.forge}:${event.deliveryId}`;
    // A delivery without an id (a proxy dropped the header) cannot be told from a redelivery: it is just handled.
    if (event.deliveryId && !seen.add(key)) {
      log(`${forge} delivery ${event.deliveryId}: duplicate, ignored`);
      return reply(res, 200, { duplicate: true });
    }
    try {
      const done = await signalInTime(event);
      log(`${forge} delivery ${event.deliveryId}: ${event.action} ${event.repoId}${event.number ? ` #${event.number}` : ''}${event.branch ? ` (${event.branch})` : ''}: ${done.signalled} signalled${done.baseMoved ? ', base moved' : ''}`);
      reply(res, 202, done);
    } catch (err) {
      // Not handled: a redelivery (GitHub's "Redeliver", GitLab's retries) must be able to try again.
      if (event.deliveryId) seen.forget(key);
      throw err;
    }
  }

  function refuse(res: ServerResponse, err: WebhookRejected): void {
    log(`webhook: rejected (${err.status}): ${err.message}`);
    // The body may be unread: close the connection rather than read it to keep the connection alive.
    res.setHeader('connection', 'close');
    reply(res, err.status, error(err.status === 401 ? 'unauthenticated' : 'invalid_request', err.message));
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const unreachable = err instanceof TemporalUnavailable;
      log(`webhook: ${unreachable ? 'Temporal unavailable' : 'failed'}: ${message}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      reply(res, unreachable ? 503 : 500, error('internal', unreachable ? 'Temporal is unavailable; redeliver later.' : 'The delivery could not be handled; redeliver later.'));
    });
  };
}

function error(code: string, message: string) {
  return { error: { code, message } };
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Timing-safe comparison of two `sha256=<hex>` signatures (the length of a valid one is no secret). */
function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The exact bytes of the body (fed to `hmac` as they arrive), 'too-large' as soon
 * as it passes `limit` (the rest is not buffered), or 'too-slow' when it has not
 * all arrived within `timeoutMs`.
 */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number, hmac?: Hmac): Promise<Buffer | 'too-large' | 'too-slow'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.off('data', onData);
      chunks.length = 0;
      resolve('too-slow');
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        clearTimeout(timer);
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      hmac?.update(chunk);
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.once('error', reject);
    // The client went away mid-body (after 'end' or 'too-large' this changes nothing: the promise is settled).
    req.once('close', () => {
      clearTimeout(timer);
      reject(new Error('the request was aborted'));
    });
  });
}

export interface WebhookServerOptions extends WebhookReceiverOptions {
  /** Default 127.0.0.1: put a reverse proxy (TLS) in front to receive deliveries from the internet. */
  host?: string;
  /** 0 for any free port. */
  port: number;
}

/** The receiver on its own HTTP server; `url` is its base (append /webhooks/github or /webhooks/gitlab). */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const { host = '127.0.0.1', port, ...receiverOpts } = opts;
  const server = createServer(createWebhookReceiver(receiverOpts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
