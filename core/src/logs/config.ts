/**
 * Where an environment's logs are read from: the platform's log sources and the rules that route a (component,
 * environment) to one of them. The same shape is `idp.logs` in Backstage's app-config and the standalone server's
 * IDP_LOGS_CONFIG file.
 *
 * ```yaml
 * logs:
 *   sources:
 *     local:  { type: victorialogs, url: http://127.0.0.1:9428 }
 *     loki:   { type: loki, url: https://loki.internal, tenant: payments, tokenEnv: LOKI_TOKEN,
 *               selector: '{app_kubernetes_io_name="{component}",namespace="{environment}"}', processLabel: container }
 *     search: { type: opensearch, url: https://search.internal:9200, index: "logs-*", usernameEnv: OS_USER, passwordEnv: OS_PASSWORD }
 *   rules:                       # first match wins
 *     - { environments: "preview-*", source: local }
 *     - { environments: production, source: search }
 *   default: loki
 * ```
 *
 * Defaults follow OpenTelemetry's resource attributes (`service.name` = the component, `deployment.environment.name` =
 * the environment), as an OTel collector ships them; Kubernetes platforms that label by `app.kubernetes.io/name` and
 * namespace set `stream` / `selector` / `fields`. Credentials are named (an environment variable), never inline.
 */
import { z } from 'zod';
import { ENV_VAR, sourcesConfig } from '../config/rules.js';
import { queryTemplate } from '../config/template.js';

const selectorTemplate = queryTemplate(['component', 'environment']);
const envVar = z.string().regex(ENV_VAR);
const inline = (field: string, instead: string) => z.never({ error: `${field} must not be written in the config; name ${instead} instead` }).optional();

export const VictoriaLogsSourceConfig = z.strictObject({
  type: z.literal('victorialogs'),
  url: z.url(),
  /** LogsQL stream filter selecting one environment of one component. */
  stream: selectorTemplate.default('{service.name="{component}",deployment.environment.name="{environment}"}'),
  /** The field that names the process (`web.1`); `--process web` matches `web` and `web.*`. */
  processField: z.string().min(1).default('process'),
  /** VictoriaLogs' multitenancy (AccountID / ProjectID headers); unset: tenant 0:0. */
  accountId: z.string().regex(/^\d+$/).optional(),
  projectId: z.string().regex(/^\d+$/).optional(),
  /** A bearer token for a proxy in front of VictoriaLogs (vmauth). */
  tokenEnv: envVar.optional(),
  token: inline('token', 'the variable that holds it with tokenEnv'),
});

export const LokiSourceConfig = z.strictObject({
  type: z.literal('loki'),
  url: z.url(),
  /** LogQL stream selector for one environment of one component. */
  selector: selectorTemplate.default('{service_name="{component}",deployment_environment_name="{environment}"}'),
  processLabel: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('process'),
  /** Sent as X-Scope-OrgID. */
  tenant: z.string().min(1).optional(),
  tokenEnv: envVar.optional(),
  token: inline('token', 'the variable that holds it with tokenEnv'),
});

export const SearchSourceConfig = z.strictObject({
  type: z.enum(['opensearch', 'elasticsearch']),
  url: z.url(),
  /** The index or pattern (or data stream) holding the lines. */
  index: z.string().min(1).default('logs-*'),
  /** Which document fields hold what; the selector fields must be keyword-mapped (exact match). */
  fields: z
    .strictObject({
      time: z.string().min(1).default('@timestamp'),
      message: z.string().min(1).default('message'),
      component: z.string().min(1).default('service.name'),
      environment: z.string().min(1).default('deployment.environment.name'),
      process: z.string().min(1).default('process'),
      /** A number the shipper writes that orders lines of one timestamp (Filebeat: `log.offset`); absent is fine. */
      seq: z.string().min(1).default('seq'),
      /**
       * Where `--grep` looks (a case-sensitive substring): a `wildcard` or `keyword` field. Unset: the message field —
       * when that is `text`, name a `wildcard` sub-field here (`message.wildcard`).
       */
      grep: z.string().min(1).optional(),
    })
    .default({ time: '@timestamp', message: 'message', component: 'service.name', environment: 'deployment.environment.name', process: 'process', seq: 'seq' }),
  usernameEnv: envVar.optional(),
  passwordEnv: envVar.optional(),
  /** Elasticsearch API key (sent as `Authorization: ApiKey …`). */
  apiKeyEnv: envVar.optional(),
  password: inline('password', 'the variable that holds it with passwordEnv'),
  apiKey: inline('apiKey', 'the variable that holds it with apiKeyEnv'),
});

export const LogSourceConfig = z.discriminatedUnion('type', [VictoriaLogsSourceConfig, LokiSourceConfig, SearchSourceConfig]);
export type LogSourceConfig = z.infer<typeof LogSourceConfig>;
export type VictoriaLogsSourceConfig = z.infer<typeof VictoriaLogsSourceConfig>;
export type LokiSourceConfig = z.infer<typeof LokiSourceConfig>;
export type SearchSourceConfig = z.infer<typeof SearchSourceConfig>;

export const LogsConfig = sourcesConfig(LogSourceConfig);
export type LogsConfig = z.infer<typeof LogsConfig>;
