/**
 * The routing rules idp's platform configs share (secret stores, log sources, metric sources): a list of rules, first
 * match wins, each naming environments / components / owners by glob (an unset field matches anything), else the
 * default. One copy, so `idp secrets` and `idp logs` explain a choice the same way.
 */
import { z } from 'zod';
import { matchesGlob } from '../release/glob.js';

/** Names of stores and sources: what a rule's `store` / `source` and `default` refer to. */
export const CONFIG_NAME = /^[a-z][a-z0-9-]*$/;
export const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** The fields every rule has; each config adds the one that names where to go (`store`, `source`). */
export const ruleMatch = {
  /** Environment name globs (`preview-*`, `production`). Unset: any environment. */
  environments: oneOrMany.optional(),
  /** Component names (globs). Unset: any component. */
  components: oneOrMany.optional(),
  /** Owners (the component's metadata.owner, e.g. team-payments). Unset: any owner. */
  owners: oneOrMany.optional(),
};

export interface RouteTarget {
  component: string;
  owner?: string;
  env: string;
}

type Rule = { environments?: string[]; components?: string[]; owners?: string[] };

/** The first rule matching `target` and why (`rule 2 (environments preview-*)`), or undefined. */
export function firstMatchingRule<R extends Rule>(rules: readonly R[], target: RouteTarget): { rule: R; why: string } | undefined {
  const any = (globs: string[] | undefined, value: string | undefined) => globs === undefined || (value !== undefined && globs.some((g) => matchesGlob(value, g)));
  const index = rules.findIndex((r) => any(r.environments, target.env) && any(r.components, target.component) && any(r.owners, target.owner));
  if (index < 0) return undefined;
  const rule = rules[index]!;
  const said = [
    rule.environments && `environments ${rule.environments.join(', ')}`,
    rule.components && `components ${rule.components.join(', ')}`,
    rule.owners && `owners ${rule.owners.join(', ')}`,
  ].filter(Boolean);
  return { rule, why: `rule ${index + 1}${said.length ? ` (${said.join('; ')})` : ''}` };
}

/** A superRefine check that every rule's target and the default name a configured entry. */
export function checkNamed(ctx: z.RefinementCtx, entries: Record<string, unknown>, names: { name: string; path: (string | number)[] }[], what: string): void {
  for (const { name, path } of names) {
    if (!(name in entries)) ctx.addIssue({ code: 'custom', path, message: `no ${what} named "${name}"; the ${what}s are ${Object.keys(entries).join(', ') || '(none)'}` });
  }
}

/**
 * A platform config of named sources (logs, metrics): `{ sources, rules (first match wins), default }`, every rule's
 * source and the default checked against the sources.
 */
export function sourcesConfig<S extends z.ZodType>(source: S) {
  return z
    .strictObject({
      sources: z.record(z.string().regex(CONFIG_NAME, { error: 'a source name is lower-case letters, digits and "-"' }), source),
      rules: z.array(z.strictObject({ ...ruleMatch, source: z.string().regex(CONFIG_NAME) })).default([]),
      default: z.string().regex(CONFIG_NAME).optional(),
    })
    .superRefine((c, ctx) => {
      const names = c.rules.map((r, i) => ({ name: r.source, path: ['rules', i, 'source'] }));
      if (c.default) names.push({ name: c.default, path: ['default'] });
      checkNamed(ctx, c.sources, names, 'source');
    });
}
