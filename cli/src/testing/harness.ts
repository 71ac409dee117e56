/**
 * What the CLI's unit tests against the fake Platform API share: a working
 * copy whose origin is a bare repository, the fake API, a fixed clock, and
 * `run` (main() in-process, output captured). Call useFakeApi() once at the top
 * of a test file; the bindings below are live once its `before` hook ran.
 */
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { main } from '../main.js';
import type { Io } from '../output.js';
import { startFakeApi, type FakeApi } from './fake-api.js';
import { gitEnv, gitRepo, memoryIo, tempDir, writePaws } from './io.js';

export const NOW = new Date('2026-11-24T10:00:00Z');
export const H = 3600_000;
export const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

export let api: FakeApi;
export let home: string;
/** The component's working copy (paws.yaml of `checkout`). */
export let wc: string;
/** Its origin remote: the repository every request names. */
export let origin: string;
export let baseEnv: Record<string, string | undefined>;

export function useFakeApi(): void {
  before(async () => {
    api = await startFakeApi();
    home = tempDir();
    origin = path.join(home, 'remotes', 'checkout.git');
    wc = gitRepo(path.join(home, 'checkout'), origin);
    writePaws(wc, 'checkout');
    baseEnv = { ...gitEnv(home), IDP_API_URL: api.url, IDP_USER: 'alice@example.com' };
  });
  after(() => api.close());
  beforeEach(() => {
    api.requests.length = 0;
    api.routes.clear();
  });
}

export async function run(argv: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; openUrl?: Io['openUrl']; readSecret?: Io['readSecret'] } = {}) {
  const io = memoryIo({ env: { ...baseEnv, ...opts.env }, cwd: opts.cwd ?? wc, now: NOW, ...(opts.openUrl ? { openUrl: opts.openUrl } : {}), ...(opts.readSecret ? { readSecret: opts.readSecret } : {}) });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
}

export const ref = () => ({ repo: origin, path: 'paws.yaml' });
