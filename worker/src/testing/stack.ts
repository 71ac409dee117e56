/**
 * The real stack for integration tests: a Temporal dev server started by
 * TestWorkflowEnvironment.createLocal from the Temporal CLI binary, the worker
 * (in this process, or as a child process that a test may kill), and the
 * Platform API on a free port. Nothing is mocked.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import { PlatformClient } from '@idp/core/client';
import { SEARCH_ATTRIBUTES } from '@idp/workflows/shared';
import { configFromEnv, type ServerConfig } from '@idp/api';
import { installRuntime, startApi, startWorker } from '../services.js';
import { findTemporalCli } from '../embedded/temporal-cli.js';
import { workflowsPath } from '../worker.js';
import type { ForgeHost } from '@idp/providers';
import type { SecretsConfig } from '@idp/core';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let bundle: Promise<WorkflowBundle> | undefined;
let runtimeInstalled = false;

export const TEST_USER = 'dev@example.com';

export interface TestStack {
  env: TestWorkflowEnvironment;
  cfg: ServerConfig;
  api: Awaited<ReturnType<typeof startApi>>;
  client: PlatformClient;
  clientAs(user: string): PlatformClient;
  /** The API's shared secret (IDP_API_TOKEN): the stack's clients send it, so they may name their user (x-idp-user). */
  token: string;
  /** Headers of a raw request as `user` (default TEST_USER): the shared secret and x-idp-user. */
  headersAs(user?: string): Record<string, string>;
  /** The in-process worker, when one was started. */
  worker?: Awaited<ReturnType<typeof startWorker>>;
  /** Start a worker as a child process (it can be killed with SIGKILL). */
  spawnWorker(extraEnv?: Record<string, string>): ChildProcess;
  stop(): Promise<void>;
}

export async function startTestStack(
  opts: {
    inProcessWorker?: boolean;
    pollIntervalMs?: number;
    prWaitMs?: number;
    forges?: ForgeHost[];
    teams?: Record<string, string[]>;
    apiToken?: string;
    temporalWebUrl?: string;
    /** The API's secret stores and routing (as IDP_SECRETS_CONFIG would give them); their private clones go in secretsCacheDir. */
    secrets?: SecretsConfig;
    secretsCacheDir?: string;
  } = {},
): Promise<TestStack> {
  if (!runtimeInstalled) {
    installRuntime(process.env.IDP_TEST_VERBOSE ? 'INFO' : 'ERROR');
    runtimeInstalled = true;
  }
  const cli = findTemporalCli(resolve(repoRoot, '.tools'));
  if (!cli) throw new Error('No Temporal CLI: run `npm test` (it installs one) or set TEMPORAL_CLI.');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: cli }, ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES, log: { format: 'pretty', level: 'error' } },
  });
  const cfg: ServerConfig = {
    ...configFromEnv({}),
    temporalAddress: env.address,
    taskQueue: `test-${randomUUID()}`,
    apiPort: 0,
    pollIntervalMs: opts.pollIntervalMs ?? 1_000,
    prWaitMs: opts.prWaitMs ?? 60_000,
    forges: new Map((opts.forges ?? []).map((f) => [f.host, f])),
    // The forge fakes need no politeness delays, and their injected 5xx should be retried at once.
    forgeClient: { paceWrites: false, retryBaseMs: 10 },
    ...(opts.teams ? { teams: opts.teams } : {}),
    ...(opts.temporalWebUrl ? { temporalWebUrl: opts.temporalWebUrl } : {}),
    ...(opts.secrets ? { secrets: opts.secrets } : {}),
    ...(opts.secretsCacheDir ? { secretsCacheDir: opts.secretsCacheDir } : {}),
    // Several people act on one stack (four-eyes): a standalone server believes x-idp-user only from holders of its secret.
    apiToken: opts.apiToken ?? randomUUID(),
  };
  const api = await startApi(cfg, TEST_USER);
  cfg.apiUrl = api.url;
  let worker: TestStack['worker'];
  if (opts.inProcessWorker !== false) {
    bundle ??= bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never });
    worker = await startWorker(cfg, await bundle);
  }
  const children: ChildProcess[] = [];
  const token = cfg.apiToken!;
  const clientAs = (user: string) => new PlatformClient({ baseUrl: api.url, user, token });
  return {
    env,
    cfg,
    api,
    client: clientAs(TEST_USER),
    clientAs,
    token,
    headersAs: (user = TEST_USER) => ({ authorization: `Bearer ${token}`, 'x-idp-user': user }),
    worker,
    spawnWorker(extraEnv = {}) {
      const child = fork(resolve(repoRoot, 'worker/dist/main.js'), ['worker'], {
        env: { ...process.env, TEMPORAL_ADDRESS: cfg.temporalAddress, IDP_TASK_QUEUE: cfg.taskQueue, IDP_API_URL: cfg.apiUrl, ...extraEnv },
        stdio: ['ignore', 'ignore', process.env.IDP_TEST_VERBOSE ? 'inherit' : 'ignore', 'ipc'],
      });
      children.push(child);
      return child;
    },
    async stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await worker?.stop();
      await api.close();
      await env.teardown();
    },
  };
}
