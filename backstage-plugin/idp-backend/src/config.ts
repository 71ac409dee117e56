/**
 * The plugin's settings: the `idp` section of app-config, over the same environment variables the standalone
 * server reads (TEMPORAL_ADDRESS, IDP_REPO_ROOTS, forges…), so one deployment can be configured either way.
 */
import type { Config } from '@backstage/config';
import { configFromEnv, logsConfigFromValue, metricsConfigFromValue, secretsConfigFromValue, type ServerConfig } from '@idp/api';

export function serverConfigFrom(config: Config, externalBaseUrl: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const cfg = configFromEnv(env);
  const idp = config.getOptionalConfig('idp');
  const roots = idp?.getOptionalStringArray('repoRoots');
  // The Temporal Web UI, for the activity's links to each workflow run.
  const temporalWebUrl = idp?.getOptionalString('temporal.webUrl') ?? cfg.temporalWebUrl;
  return {
    ...cfg,
    temporalAddress: idp?.getOptionalString('temporal.address') ?? cfg.temporalAddress,
    namespace: idp?.getOptionalString('temporal.namespace') ?? cfg.namespace,
    ...(temporalWebUrl ? { temporalWebUrl } : {}),
    taskQueue: idp?.getOptionalString('temporal.taskQueue') ?? cfg.taskQueue,
    // PR links of the local forge lead to this plugin's pages.
    apiUrl: env.IDP_API_URL ?? externalBaseUrl,
    ...(roots ? { repoRoots: roots } : {}),
    // idp.secrets (stores, routing rules, default) wins over IDP_SECRETS_CONFIG; credentials are named there, never inline.
    ...(idp?.has('secrets') ? { secrets: secretsConfigFromValue(idp.get('secrets'), 'idp.secrets in app-config') } : {}),
    // idp.logs / idp.metrics (sources, routing rules, default) likewise win over IDP_LOGS_CONFIG / IDP_METRICS_CONFIG.
    ...(idp?.has('logs') ? { logs: logsConfigFromValue(idp.get('logs'), 'idp.logs in app-config') } : {}),
    ...(idp?.has('metrics') ? { metrics: metricsConfigFromValue(idp.get('metrics'), 'idp.metrics in app-config') } : {}),
  };
}
