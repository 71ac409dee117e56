/**
 * The HTTP side both forge fakes share: injected faults, reading a request
 * body, and sending webhook deliveries the way a forge does (after the change,
 * fire and forget, recording the receiver's answer).
 */
import type { IncomingMessage } from 'node:http';

export interface FaultRule {
  method?: string;
  /** Matched against the request path as received (still URL-encoded), e.g. /\/pulls$/ or /^\/graphql$/. */
  path: RegExp;
  /** HTTP status to answer with; 0 drops the connection instead (a reset, a proxy timeout). */
  status: number;
  /** How many matching requests fail (default 1). */
  times?: number;
  headers?: Record<string, string>;
  /** JSON body (a string is sent as text/plain); the forge's usual error body when left out. */
  body?: unknown;
}

/** Faults waiting for their requests. */
export class Faults {
  private readonly rules: (FaultRule & { left: number })[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? 1 });
  }

  /** The fault this request meets, if any (used up by it). */
  take(method: string, path: string): FaultRule | undefined {
    const rule = this.rules.find((r) => r.left > 0 && (!r.method || r.method === method) && r.path.test(path));
    if (rule) rule.left -= 1;
    return rule;
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface Delivery {
  event: string;
  action?: string;
  /** The receiver's answer; 0 when it could not be reached. */
  status: number;
}

/** POST one delivery and record how it was answered. */
export function deliver(url: string, headers: Record<string, string>, body: string, record: Delivery[], what: Omit<Delivery, 'status'>): void {
  void fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(
    (res) => record.push({ ...what, status: res.status }),
    () => record.push({ ...what, status: 0 }),
  );
}
