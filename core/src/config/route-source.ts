/**
 * Which log or metric source a (component, environment) is read from: the config's rules, first match wins, else
 * its default; neither → an error naming the setting to add (routing.ts does the same for secret stores).
 */
import { parseConfigFile } from './file.js';
import { firstMatchingRule, type RouteTarget } from './rules.js';
import { InvalidRequestError } from '../errors.js';
import { LogsConfig } from '../logs/config.js';
import { MetricsConfig } from '../metrics/config.js';

interface SourceRouting {
  sources: Record<string, unknown>;
  rules: { environments?: string[]; components?: string[]; owners?: string[]; source: string }[];
  default?: string | undefined;
}

const SETTING = { logs: ['idp.logs', 'IDP_LOGS_CONFIG'], metrics: ['idp.metrics', 'IDP_METRICS_CONFIG'] } as const;

export function routeSource(config: SourceRouting, target: RouteTarget, kind: 'logs' | 'metrics'): { source: string; why: string } {
  const matched = firstMatchingRule(config.rules, target);
  if (matched) return { source: matched.rule.source, why: matched.why };
  if (config.default) return { source: config.default, why: 'the default source' };
  const names = Object.keys(config.sources);
  const example = names[0] ?? '<source>';
  const [appConfig, file] = SETTING[kind];
  throw new InvalidRequestError(
    `No ${kind} source is routed for ${target.component} in ${target.env}: no rule of the ${kind} config matches and it has no default. ` +
      `Add \`default: ${example}\` or a rule like \`{ environments: "${target.env}", source: ${example} }\` under rules ` +
      `(${appConfig} in app-config; the ${file} file for the standalone server). Sources: ${names.join(', ') || '(none)'}.`,
  );
}

export function parseLogsConfig(text: string, file: string): LogsConfig {
  return parseConfigFile(text, file, {
    key: 'logs',
    schema: LogsConfig,
    what: 'logs configuration',
    holds: 'It holds sources (each of type victorialogs, loki, opensearch or elasticsearch), rules and a default, as idp.logs does in app-config.',
  });
}

export function parseMetricsConfig(text: string, file: string): MetricsConfig {
  return parseConfigFile(text, file, {
    key: 'metrics',
    schema: MetricsConfig,
    what: 'metrics configuration',
    holds: 'It holds sources (each of type prometheus or victoriametrics), rules and a default, as idp.metrics does in app-config.',
  });
}
