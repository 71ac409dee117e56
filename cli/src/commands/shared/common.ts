/** What most verbs start with: flags → context → client, plus local argument checks. */
import { PlatformClient } from '@idp/core/client';
import { envNameProblem } from '@idp/core/names';
import type { RepoRef } from '@idp/core';
import type { CommandInput, Flags } from '../../command.js';
import { identityToken, resolveContext, type ComponentContext, type Context, type ContextFlags } from '../../context.js';
import { UsageError } from '../../exit-codes.js';

/** A value option: the last one wins when repeated; present without a value is a usage error. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  const v = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value.`);
  return v;
}

export function contextFlags(flags: Flags): ContextFlags {
  return { component: stringFlag(flags, 'component'), repo: stringFlag(flags, 'repo'), path: stringFlag(flags, 'path'), api: stringFlag(flags, 'api') };
}

export function clientFor(ctx: Pick<Context, 'api' | 'user'>, forgeToken?: string): PlatformClient {
  const { api } = ctx;
  return new PlatformClient({
    baseUrl: api.url,
    // With a Backstage token the server knows who is calling; a name sent beside it would only be noise.
    ...(identityToken(api) ? {} : { user: ctx.user.user }),
    ...(api.token ? { token: api.token, tokenName: api.tokenSource === 'idp login' ? 'your idp login token' : `your token (${api.tokenSource})` } : {}),
    ...(forgeToken ? { forgeToken } : {}),
  });
}

/**
 * The developer's own forge token for the component's remote, the variables
 * `gh` and `glab` read: IDP_FORGE_TOKEN, else GH_TOKEN/GITHUB_TOKEN for GitHub
 * hosts and GITLAB_TOKEN for GitLab hosts. Sent only with PR actions and release
 * requests (so the server knows the requester's forge login: four eyes).
 */
export function forgeTokenFor(repo: string, env: Record<string, string | undefined>): string | undefined {
  if (env.IDP_FORGE_TOKEN) return env.IDP_FORGE_TOKEN;
  const host = /^(?:[a-z+]+:\/\/)?(?:[^@/]*@)?([^/:]+)/i.exec(repo)?.[1] ?? '';
  if (/gitlab/i.test(host)) return env.GITLAB_TOKEN || undefined;
  if (/github/i.test(host)) return env.GH_TOKEN || env.GITHUB_TOKEN || undefined;
  return undefined;
}

export function repoRef(component: ComponentContext): { repo: string; path: string } {
  return { repo: component.repo, path: component.path } satisfies RepoRef;
}

export async function setup(input: CommandInput): Promise<{ ctx: Context; client: PlatformClient; ref: { repo: string; path: string } }> {
  const ctx = await resolveContext(contextFlags(input.flags), input.io.env, input.io.cwd);
  return { ctx, client: clientFor(ctx, forgeTokenFor(ctx.component.repo, input.io.env)), ref: repoRef(ctx.component) };
}

/** Checked before anything is sent, with the server's own rule. */
export function checkEnvName(name: string, role = 'environment'): void {
  const problem = envNameProblem(name);
  if (problem) throw new UsageError(`Invalid ${role} name: ${problem}.`);
}

export function prNumber(arg: string): number {
  const m = /^#?(\d+)$/.exec(arg.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`"${arg}" is not a pull request number.`);
  return n;
}

/** How the component is called in messages. */
export const componentLabel = (ctx: Context) => ctx.component.component ?? ctx.component.repo;
