/**
 * Query templates in platform config (log stream selectors, PromQL): `{component}`, `{environment}`, … are replaced by
 * the request's values; every other brace is the query language's own (`{service.name="{component}"}` is a LogsQL
 * stream filter around one placeholder). Unknown placeholders are refused when the config loads, not at query time.
 */
import { z } from 'zod';

const PLACEHOLDER = /\{([a-z][a-zA-Z]*)\}/g;

/** A template string whose placeholders are among `names`. */
export function queryTemplate(names: readonly string[]) {
  return z.string().min(1).superRefine((t, ctx) => {
    for (const [, name] of t.matchAll(PLACEHOLDER)) {
      if (!names.includes(name!)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {${name}}; a template may use ${names.map((n) => `{${n}}`).join(', ')}` });
    }
  });
}

/**
 * The template with each placeholder replaced by `escape(value)`. Values are idp names (DNS labels), but a query
 * language's quoting is applied anyway so no value can end a string early.
 */
export function fillTemplate(template: string, values: Record<string, string>, escape: (v: string) => string = quoteEscape): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in values ? escape(values[name]!) : whole));
}

/** Backslash and double quote escaped: what LogsQL, LogQL and PromQL strings want. */
export function quoteEscape(v: string): string {
  return v.replace(/[\\"]/g, (c) => `\\${c}`);
}
