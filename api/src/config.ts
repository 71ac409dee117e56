/** Server-side settings, from the environment, with the embedded stack's defaults: what the worker, the standalone
 * server and the Backstage plugin (under its app-config) all read. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { TASK_QUEUE } from '@idp/workflows/shared';
import { DEFAULT_API_URL } from '@idp/core/client';
import { DEFAULT_RELEASE_FLOORS, LogsConfig, MetricsConfig, parseLogsConfig, parseMetricsConfig, parseReleaseFloors, parseSecretsConfig, SecretsConfig, type ReleaseFloors } from '@idp/core';
import type { z } from 'zod';
import { forgesFromEnv, providerFor, type ForgeHost, type ProviderLookup } from '@idp/providers';
import { isLoopbackHost } from './host-check.js';
import type { WebhookReceiverOptions } from './webhooks/receiver.js';

export interface ServerConfig {
  temporalAddress: string;
  namespace: string;
  /** The Temporal Web UI (IDP_TEMPORAL_WEB_URL, e.g. http://127.0.0.1:8233): the activity links each workflow run there. */
  temporalWebUrl?: string;
  taskQueue: string;
  apiHost: string;
  apiPort: number;
  /** Public base URL of the Platform API (PR links of the local forge point here). */
  apiUrl: string;
  /** Poll the PR this often when no signal arrives. */
  pollIntervalMs: number;
  /** How long an API request waits for the workflow to open its PR before answering without it. */
  prWaitMs: number;
  /** Local repositories must live under one of these folders (IDP_REPO_ROOTS, ':'-separated); empty: anywhere. */
  repoRoots: string[];
  /** When set, every API request must carry `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** Host names the API answers to besides loopback (IDP_ALLOWED_HOSTS, ','-separated; the host of apiUrl always). */
  allowedHosts: string[];
  /** GitHub/GitLab hosts and their credentials (IDP_GITHUB_TOKEN, IDP_GITLAB_TOKEN, IDP_FORGES). */
  forges: Map<string, ForgeHost>;
  /** `idp-server worker` also receives forge webhooks on this port when set (IDP_WEBHOOK_PORT; the API always serves them at /webhooks/*). */
  webhookPort?: number;
  webhookHost: string;
  /** Forge client tuning; tests against the fakes turn write pacing off. */
  forgeClient?: { paceWrites?: boolean; retryBaseMs?: number };
  /** Teams of the local forge, for release approvers (IDP_TEAMS: JSON `{"team-payments":["alice","bob"]}` or @file). */
  teams?: Record<string, string[]>;
  /**
   * Platform approval floors per environment pattern that a component's paws.yaml cannot lower
   * (IDP_RELEASE_FLOORS: JSON or @file; unset: four eyes on prod*, `{}`: none). See core/src/release/floors.ts.
   */
  releaseFloors: ReleaseFloors;
  /**
   * The platform's secret stores and routing rules (IDP_SECRETS_CONFIG: a YAML file; Backstage: idp.secrets, which
   * wins). Unset: the secret routes say no store is configured (`npm start` configures its embedded SOPS store).
   */
  secrets?: SecretsConfig;
  /** The platform's log sources and routing (IDP_LOGS_CONFIG: a YAML file; Backstage: idp.logs, which wins). */
  logs?: LogsConfig;
  /** The platform's metric sources and routing (IDP_METRICS_CONFIG; Backstage: idp.metrics, which wins). */
  metrics?: MetricsConfig;
  /** Where the SOPS stores keep their private clones (IDP_HOME/cache/secrets in the embedded stack; else the OS temp dir). */
  secretsCacheDir?: string;
  /** Workflows kept in the worker's cache (IDP_MAX_CACHED_WORKFLOWS); the rest are replayed from history when woken. */
  maxCachedWorkflows?: number;
}

/** IDP_TEAMS: inline JSON or @path to a JSON file; a mapping of team name to member list. */
export function teamsFromEnv(value: string | undefined): Record<string, string[]> | undefined {
  if (!value) return undefined;
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`IDP_TEAMS is not valid JSON; write e.g. {"team-payments":["alice","bob"]} (or @/path/to/teams.json).`);
  }
  const ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) &&
    Object.values(parsed).every((m) => Array.isArray(m) && m.every((u) => typeof u === 'string'));
  if (!ok) throw new Error('IDP_TEAMS must map each team name to a list of user names, e.g. {"team-payments":["alice","bob"]}.');
  return parsed as Record<string, string[]>;
}

/** IDP_RELEASE_FLOORS: inline JSON or @path to a JSON file; unset or empty: DEFAULT_RELEASE_FLOORS. */
export function releaseFloorsFromEnv(value: string | undefined): ReleaseFloors {
  if (!value) return DEFAULT_RELEASE_FLOORS;
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (e) {
      throw new Error(`IDP_RELEASE_FLOORS names ${value.slice(1)}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a readable JSON file or inline JSON.`);
    }
  }
  return parseReleaseFloors(text, value.startsWith('@') ? `IDP_RELEASE_FLOORS (${value.slice(1)})` : 'IDP_RELEASE_FLOORS');
}

/** A platform config given as a value (Backstage's `idp.secrets`, `idp.logs`, `idp.metrics`), validated, saying where and what is wrong. */
function configFromValue<S extends z.ZodType>(schema: S, value: unknown, source: string, what: string, holds: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new Error(`${source} is not a valid ${what} config: ${problems}. ${holds}`);
  }
  return r.data;
}

/** The path a variable names, read, or an error naming the variable and what to give. */
function configFileText(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${variable} names ${path}, which cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); give a readable YAML file.`);
  }
}

export const secretsConfigFromValue = (value: unknown, source: string): SecretsConfig =>
  configFromValue(SecretsConfig, value, source, 'secrets', 'It holds stores (each aws-sm, vault or sops), rules and a default.');
/** IDP_SECRETS_CONFIG: the path of a YAML file holding the secrets config (at its top, or under `secrets:`). */
export const secretsConfigFromFile = (path: string): SecretsConfig => parseSecretsConfig(configFileText('IDP_SECRETS_CONFIG', path), `IDP_SECRETS_CONFIG (${path})`);

export const logsConfigFromValue = (value: unknown, source: string): LogsConfig =>
  configFromValue(LogsConfig, value, source, 'logs', 'It holds sources (each victorialogs, loki, opensearch or elasticsearch), rules and a default.');
/** IDP_LOGS_CONFIG: a YAML file holding the log sources (at its top, or under `logs:`). */
export const logsConfigFromFile = (path: string): LogsConfig => parseLogsConfig(configFileText('IDP_LOGS_CONFIG', path), `IDP_LOGS_CONFIG (${path})`);

export const metricsConfigFromValue = (value: unknown, source: string): MetricsConfig =>
  configFromValue(MetricsConfig, value, source, 'metrics', 'It holds sources (each prometheus or victoriametrics), rules and a default.');
/** IDP_METRICS_CONFIG: a YAML file holding the metric sources (at its top, or under `metrics:`). */
export const metricsConfigFromFile = (path: string): MetricsConfig => parseMetricsConfig(configFileText('IDP_METRICS_CONFIG', path), `IDP_METRICS_CONFIG (${path})`);

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const apiHost = env.IDP_API_HOST ?? '127.0.0.1';
  const apiPort = Number(env.IDP_API_PORT ?? 7007);
  return {
    temporalAddress: env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    namespace: env.TEMPORAL_NAMESPACE ?? 'default',
    ...(env.IDP_TEMPORAL_WEB_URL ? { temporalWebUrl: env.IDP_TEMPORAL_WEB_URL } : {}),
    taskQueue: env.IDP_TASK_QUEUE ?? TASK_QUEUE,
    apiHost,
    apiPort,
    apiUrl: env.IDP_API_URL ?? (apiPort === 7007 && apiHost === '127.0.0.1' ? DEFAULT_API_URL : `http://${apiHost}:${apiPort}/api/idp`),
    pollIntervalMs: Number(env.IDP_POLL_INTERVAL_MS ?? 30_000),
    prWaitMs: Number(env.IDP_PR_WAIT_MS ?? 10_000),
    apiToken: env.IDP_API_TOKEN || undefined,
    allowedHosts: (env.IDP_ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim()).filter(Boolean),
    forges: forgesFromEnv(env),
    ...(env.IDP_WEBHOOK_PORT ? { webhookPort: Number(env.IDP_WEBHOOK_PORT) } : {}),
    webhookHost: env.IDP_WEBHOOK_HOST ?? '127.0.0.1',
    ...(env.IDP_TEAMS ? { teams: teamsFromEnv(env.IDP_TEAMS) } : {}),
    releaseFloors: releaseFloorsFromEnv(env.IDP_RELEASE_FLOORS),
    ...(env.IDP_SECRETS_CONFIG ? { secrets: secretsConfigFromFile(env.IDP_SECRETS_CONFIG) } : {}),
    ...(env.IDP_LOGS_CONFIG ? { logs: logsConfigFromFile(env.IDP_LOGS_CONFIG) } : {}),
    ...(env.IDP_METRICS_CONFIG ? { metrics: metricsConfigFromFile(env.IDP_METRICS_CONFIG) } : {}),
    ...(env.IDP_HOME ? { secretsCacheDir: join(resolve(env.IDP_HOME), 'cache', 'secrets') } : {}),
    ...(env.IDP_MAX_CACHED_WORKFLOWS ? { maxCachedWorkflows: Number(env.IDP_MAX_CACHED_WORKFLOWS) } : {}),
    repoRoots: (env.IDP_REPO_ROOTS ?? '').split(delimiter).filter(Boolean).map((r) => (existsSync(r) ? realpathSync(r) : resolve(r))),
  };
}

/**
 * The API without a token trusts every caller, and without repository roots it
 * opens any bare repository on the server's disk: fine on loopback (only this
 * machine's user reaches it; the Host allowlist keeps web pages out), never
 * beyond it. Refuse to start rather than serve that to the network.
 */
export function assertSafeExposure(cfg: Pick<ServerConfig, 'apiHost' | 'apiToken' | 'repoRoots'>): void {
  if (isLoopbackHost(cfg.apiHost)) return;
  const missing = [...(cfg.apiToken ? [] : ['IDP_API_TOKEN (clients then send it)']), ...(cfg.repoRoots.length ? [] : ['IDP_REPO_ROOTS (the folders of the bare repositories it may serve)'])];
  if (missing.length) {
    throw new Error(
      `Refusing to serve the Platform API on ${cfg.apiHost}, beyond this machine, without ${missing.join(' and ')}. ` +
        'Set them, or bind to 127.0.0.1 (IDP_API_HOST) and put an authenticating proxy in front.',
    );
  }
}

/** The forge adapter for a repository, as these settings configure them. */
export function providersFor(cfg: Pick<ServerConfig, 'apiUrl' | 'repoRoots' | 'forges' | 'forgeClient' | 'teams'>): ProviderLookup {
  return (repo) =>
    providerFor(repo, { webBaseUrl: cfg.apiUrl, allowedRoots: cfg.repoRoots, forges: cfg.forges, ...(cfg.forgeClient ? { forgeClient: cfg.forgeClient } : {}), ...(cfg.teams ? { teams: cfg.teams } : {}) });
}

/**
 * Webhook receivers for every forge host with a webhook secret: each at
 * /webhooks/<forge>/<host>, and the first of each forge at /webhooks/<forge>.
 */
export function webhookOptions(cfg: Pick<ServerConfig, 'forges'>): Omit<WebhookReceiverOptions, 'temporal'> {
  const hosts = [...cfg.forges.values()].filter((f) => f.webhookSecret).map((f) => ({ forge: f.kind, host: f.host, secret: f.webhookSecret! }));
  return hosts.length ? { hosts } : {};
}
