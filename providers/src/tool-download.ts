/**
 * The official download of a tool idp runs (the Temporal CLI, Prometheus), tried before any Go build: with the
 * internet it takes seconds where a build takes minutes; without it, it must give up fast. So it is bounded twice:
 * the host must answer a probe within seconds (a network that drops packets would otherwise stall a first start for
 * minutes), then the download itself has its own, longer bound. Either failing returns why, in one line, and the
 * caller builds instead. Each step reaches the outside through functions the tests replace.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Whether the download host answers at all. */
export const PROBE_TIMEOUT_MS = 5_000;
/** The download itself (tens of MB) once the host answered. */
export const DOWNLOAD_TIMEOUT_MS = 300_000;

export interface OfficialDownload {
  /** For messages: `temporal.download`, `github.com`. */
  host: string;
  /** Resolves when the host answers (any HTTP status); `signal` aborts it. */
  probe(signal: AbortSignal): Promise<void>;
  /** Fetches the tool into place; when `signal` aborts, it must leave nothing running and nothing half-written. */
  download(signal: AbortSignal): Promise<void>;
  env?: NodeJS.ProcessEnv | undefined;
  probeTimeoutMs?: number | undefined;
  downloadTimeoutMs?: number | undefined;
}

/** Null when the download worked; else why not (one line), for the caller's "building it instead" message. */
export async function tryOfficialDownload(d: OfficialDownload): Promise<string | null> {
  const env = d.env ?? process.env;
  try {
    // Node's fetch ignores HTTPS_PROXY, which a download may honour: there, only the download's own bound applies.
    if (!(env.HTTPS_PROXY || env.https_proxy)) await within(d.probeTimeoutMs ?? PROBE_TIMEOUT_MS, `${d.host} did not answer`, (s) => d.probe(s));
    await within(d.downloadTimeoutMs ?? DOWNLOAD_TIMEOUT_MS, 'the download did not finish', (s) => d.download(s));
    return null;
  } catch (e) {
    return firstLine(e);
  }
}

/** `fn`, aborted (its signal) and rejected when it takes longer than `ms`. */
export async function within<T>(ms: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ac.abort();
      reject(new Error(`${what} within ${ms / 1000} s`));
    }, ms);
  });
  try {
    return await Promise.race([fn(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

/** HEAD of a URL: resolves on any answer, rejects saying the host is unreachable (and why). */
export async function probeUrl(url: string, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { method: 'HEAD', signal }).catch((e: Error) => {
    throw new Error(`${new URL(url).host} unreachable: ${(e.cause as Error | undefined)?.message ?? e.message}`);
  });
  await res.body?.cancel();
}

/** A URL's body as text (a small file: a checksum list); a non-2xx answer throws. */
export async function fetchText(url: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${url} answered HTTP ${res.status}`);
  }
  return res.text();
}

/** A URL's body streamed into `file`; returns its sha256 (hex). A non-2xx answer throws. */
export async function fetchToFile(url: string, file: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`${url} answered HTTP ${res.status}`);
  }
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tee, createWriteStream(file), { signal });
  return hash.digest('hex');
}

/** The sha256 a `sha256sum`-style list (`<hex>  <name>` per line) gives for `name`, or null. */
export function checksumFor(list: string, name: string): string | null {
  for (const line of list.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (m && m[2] === name) return m[1]!.toLowerCase();
  }
  return null;
}
