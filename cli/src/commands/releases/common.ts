/**
 * What the release verbs share: local checks of their arguments (an image
 * reference with a tag or digest, a release number, a required --env) and how
 * releases read on a terminal (images, outcomes, "promote from staging").
 */
import type { ReleaseOutcome, ReleaseRecord } from '@idp/core';
import { parseImage, type ImageParts } from '@idp/core/image';
import type { Flags } from '../../command.js';
import { UsageError } from '../../exit-codes.js';
import { colors, type Colors } from '../../output.js';
import { checkEnvName, stringFlag } from '../shared/common.js';

/** --env, required and a valid environment name; `verb` names the command in the hint. */
export function requiredEnv(flags: Flags, verb: string, example: string): string {
  const env = stringFlag(flags, 'env');
  if (!env) throw new UsageError(`--env is required: which environment? e.g. \`${example}\`.`, `Run \`idp releases ${verb} --help\` for usage.`);
  checkEnvName(env);
  return env;
}

/** `v12` or `12` → 12. */
export function releaseNumber(arg: string, what = 'a release number'): number {
  const m = /^v?(\d+)$/i.exec(arg.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`"${arg}" is not ${what}: write it as v12 or 12.`);
  return n;
}

/** An image reference split for display; null when it does not parse (shown as written). */
function partsOf(image: string): ImageParts | null {
  try {
    return parseImage(image);
  } catch {
    return null;
  }
}

/** Why `image` is not a releasable image reference (with a tag or a digest), or null — the server's own rule (core). */
export function imageProblem(image: string): string | null {
  try {
    parseImage(image);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export function checkImage(image: string): void {
  const problem = imageProblem(image);
  if (problem) throw new UsageError(`Invalid --image: ${problem}.`);
}

/** A digest cut to 12 hex digits for tables and narration (`idp releases show` prints it whole). */
export function shortImage(image: string): string {
  return image.replace(/@([a-z0-9]+):([a-f0-9]{12})[a-f0-9]{8,}$/, '@$1:$2…');
}

/** The version part only: `1.4.3`, `@sha256:0123…` or `1.4.3@sha256:0123…`. */
const versionOf = (r: ImageParts) => shortImage(`${r.tag ?? ''}${r.digest ? `@${r.digest}` : ''}`);

/** "ghcr.io/acme/checkout:1.4.2 → 1.4.3"; the whole new image when the repository changes; just the image when there was none. */
export function imageChange(previous: string | undefined, image: string): string {
  if (!previous) return shortImage(image);
  const a = partsOf(previous);
  const b = partsOf(image);
  return a && b && a.repository === b.repository ? `${shortImage(previous)} → ${versionOf(b)}` : `${shortImage(previous)} → ${shortImage(image)}`;
}

/** "promote from staging", "rollback to v11", "create". */
export function kindLabel(r: Pick<ReleaseRecord, 'kind' | 'from' | 'rollbackTo'>): string {
  if (r.kind === 'promote') return r.from ? `promote from ${r.from}` : 'promote';
  if (r.kind === 'rollback') return r.rollbackTo ? `rollback to v${r.rollbackTo}` : 'rollback';
  return 'create';
}

export function outcomeLabel(outcome: ReleaseOutcome, c: Colors = colors(false)): string {
  const word = outcome.replace('_', ' ');
  if (outcome === 'merged') return c.green(word);
  if (outcome === 'open' || outcome === 'queued') return c.yellow(word);
  return c.red(word);
}

/** The server's "Rejected: bob requested changes." without the word the outcome already says. */
export function reasonText(reason: string): string {
  return reason.replace(/^(rejected|timed out|cancelled|failed):\s*/i, '');
}
