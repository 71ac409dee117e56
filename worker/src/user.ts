/** The acting user on the local forge and the standalone API: IDP_USER, else `git config user.email`. */
import { execFileSync } from 'node:child_process';

export function defaultUser(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.IDP_USER) return env.IDP_USER;
  try {
    return execFileSync('git', ['config', 'user.email'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
