/**
 * Backstage's own APIs (catalog, search, scaffolder) as the signed-in user: the Backstage serving the Platform API
 * (`…/api/idp` → `…`), the same token the Platform API gets (IDP_TOKEN, else `idp login`'s). Backstage's errors
 * (`{ error: { name, message }, response: { statusCode } }`) become IdpErrors, so the usual exit codes apply:
 * 401 → 5 with the sign-in hint, 403 → 5, 404 → 3, 400 → 5, unreachable → 6.
 */
import { safeForTokens, UnreachableError } from '@idp/core/client';
import { IdpError, type ErrorCode } from '@idp/core/errors';
import { notSignedIn } from './auth/not-signed-in.js';
import type { ApiContext } from './context.js';

/** The Backstage base URL of a Backstage-served Platform API URL (`http://host:7007/api/idp` → `http://host:7007`). */
export function backstageUrl(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '').replace(/\/api\/idp$/, '');
}

const byStatus: Record<number, ErrorCode> = { 400: 'invalid_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 503: 'unavailable' };

export class BackstageClient {
  readonly baseUrl: string;
  private token?: Promise<string>;
  constructor(private readonly api: ApiContext) {
    this.baseUrl = backstageUrl(api.url);
  }

  /** The Authorization header, or none: Backstage answers 401 and the error says to sign in. */
  async headers(): Promise<Record<string, string>> {
    const { token } = this.api;
    // The standalone server's shared secret means nothing to Backstage; only an identity token is sent.
    if (!token || this.api.tokenSource === 'IDP_API_TOKEN') return {};
    if (!safeForTokens(new URL(this.baseUrl))) {
      throw new IdpError('invalid_request', 400, `Refusing to send your token over plain http to ${new URL(this.baseUrl).host}: use an https:// IDP_API_URL (or --api).`);
    }
    this.token ??= typeof token === 'string' ? Promise.resolve(token) : token();
    return { authorization: `Bearer ${await this.token}` };
  }

  /** A raw request (the caller reads the body); unreachable → UnreachableError. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(await this.headers()), ...(init.headers as Record<string, string> | undefined) };
    try {
      return await fetch(this.baseUrl + path, { ...init, headers });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new UnreachableError(this.baseUrl, e);
    }
  }

  async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetch(path, init);
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new IdpError('internal', res.status, `Backstage at ${this.baseUrl} answered ${res.status} with something that is not JSON; is IDP_API_URL served by Backstage?`);
    }
    if (!res.ok) throw this.error(res.status, body, path);
    return body as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>(path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>(path, { method: 'POST', body: JSON.stringify(body) });
  }

  /** Backstage's error body as an IdpError whose message says what to do. */
  error(status: number, body: unknown, path: string): IdpError {
    const err = (body as { error?: { name?: string; message?: string } } | undefined)?.error;
    const message = err?.message ?? `Backstage answered ${status} to ${path}.`;
    if (status === 401) {
      const why = this.api.token && this.api.tokenSource !== 'IDP_API_TOKEN' ? `Backstage did not accept your token (${this.api.tokenSource}): ${message}` : 'You are not signed in to Backstage';
      return notSignedIn(this.api.url, why);
    }
    // A 404 that is not Backstage's own error body: nothing serves Backstage's APIs there (a standalone idp server).
    if (status === 404 && !err?.name) {
      return new IdpError('not_found', 404, `${this.baseUrl} does not serve Backstage's ${path.split('/')[2] ?? ''} API: templates, search and create need the Platform API served by Backstage (npm start), not the standalone server.`);
    }
    return new IdpError(byStatus[status] ?? 'internal', status, message, err?.name ? { name: err.name } : undefined);
  }
}

/** `template:default/name`, `default/name` or `name` → its parts (kind defaults to template). */
export function parseRef(ref: string, defaultKind = 'template'): { kind: string; namespace: string; name: string } {
  const m = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref.trim());
  if (!m) throw new IdpError('invalid_request', 400, `"${ref}" is not an entity reference (expected name, namespace/name or kind:namespace/name).`);
  return { kind: (m[1] ?? defaultKind).toLowerCase(), namespace: m[2] ?? 'default', name: m[3]! };
}

export const stringifyRef = (r: { kind: string; namespace: string; name: string }) => `${r.kind.toLowerCase()}:${r.namespace}/${r.name}`;
