/**
 * Wiring shared by the embedded stack, the standalone processes and the tests:
 * a Temporal client, the worker and the Platform API on one connection config.
 */
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel, type Worker, type WorkflowBundle } from '@temporalio/worker';
import { standaloneIdentity, startApiServer, startWebhookServer, assertSafeExposure, providersFor, runtimeStatusFromEnv, secretStoresFor, logSourcesFor, metricSourcesFor, webhookOptions, API_VERSION as VERSION, type ServerConfig } from '@idp/api';
import { createWorker } from './worker.js';

/**
 * The SDK logs every worker state change and the webpack bundle at INFO; the
 * stack's own output is what a user needs. IDP_LOG_LEVEL=INFO brings them back.
 * Call once, before the first connection.
 */
export function installRuntime(level = (process.env.IDP_LOG_LEVEL ?? 'WARN').toUpperCase() as LogLevel): void {
  Runtime.install({ logger: new DefaultLogger(level) });
}

export async function startWorker(cfg: ServerConfig, workflowBundle?: WorkflowBundle): Promise<{ worker: Worker; run: Promise<void>; webhooksUrl?: string; stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: cfg.temporalAddress });
  const worker = await createWorker({ connection, namespace: cfg.namespace, taskQueue: cfg.taskQueue, providers: providersFor(cfg), workflowBundle, releaseFloors: cfg.releaseFloors, ...(cfg.secrets ? { secrets: cfg.secrets } : {}), ...(cfg.maxCachedWorkflows ? { maxCachedWorkflows: cfg.maxCachedWorkflows } : {}) });
  // A worker deployed on its own can take the forges' webhooks itself (IDP_WEBHOOK_PORT).
  const hooks = webhookOptions(cfg);
  let webhooks: { url: string; close(): Promise<void> } | undefined;
  let clientConnection: Connection | undefined;
  if (cfg.webhookPort !== undefined && hooks.hosts?.length) {
    clientConnection = await Connection.connect({ address: cfg.temporalAddress });
    webhooks = await startWebhookServer({ ...hooks, host: cfg.webhookHost, port: cfg.webhookPort, temporal: new Client({ connection: clientConnection, namespace: cfg.namespace }) });
  }
  const run = worker.run();
  return {
    worker,
    run,
    ...(webhooks ? { webhooksUrl: webhooks.url } : {}),
    stop: async () => {
      await webhooks?.close();
      await clientConnection?.close();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run.catch(() => undefined);
      await connection.close();
    },
  };
}

export async function startApi(cfg: ServerConfig, defaultUser?: string) {
  assertSafeExposure(cfg);
  const connection = await Connection.connect({ address: cfg.temporalAddress });
  const temporal = new Client({ connection, namespace: cfg.namespace });
  const api = await startApiServer({
    host: cfg.apiHost,
    port: cfg.apiPort,
    temporal,
    taskQueue: cfg.taskQueue,
    providers: providersFor(cfg),
    pollIntervalMs: cfg.pollIntervalMs,
    version: VERSION,
    temporalAddress: cfg.temporalAddress,
    namespace: cfg.namespace,
    temporalWebUrl: cfg.temporalWebUrl,
    // The standalone server acts as its one user unless clients share IDP_API_TOKEN (then they name theirs).
    identity: standaloneIdentity({ user: defaultUser, sharedSecret: cfg.apiToken }),
    allowedHosts: [cfg.apiUrl, ...cfg.allowedHosts],
    prWaitMs: cfg.prWaitMs,
    releaseFloors: cfg.releaseFloors,
    webhooks: webhookOptions(cfg),
    secrets: secretStoresFor(cfg.secrets, process.env, cfg.secretsCacheDir ? { cacheDir: cfg.secretsCacheDir } : {}),
    logs: logSourcesFor(cfg.logs),
    metrics: metricSourcesFor(cfg.metrics),
    // What runs for each environment: the embedded stack's local runtime (IDP_RUNTIME_STATE); unset elsewhere.
    runtime: runtimeStatusFromEnv(),
  });
  return {
    ...api,
    temporal,
    close: async () => {
      await api.close();
      await connection.close();
    },
  };
}
