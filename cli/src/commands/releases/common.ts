/**
 * What the release verbs share: local checks of their arguments (an image
 * reference with a tag or digest, a release number, a required --env) and how
 * releases read on a terminal (images, outcomes, "promote from staging").
 */
import type { ReleaseOutcome, ReleaseRecord } from '@idp/core';
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

export interface ImageRef {
  /** Registry and repository, e.g. ghcr.io/acme/checkout. */
  name: string;
  tag?: string;
  /** e.g. sha256:0123… */
  digest?: string;
}

const HOST = /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+|\[[0-9a-fA-F:]+\])(?::\d+)?$|^[a-zA-Z0-9-]+:\d+$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Splits an image reference (`name[:tag][@digest]`) without judging it. */
export function splitImage(image: string): ImageRef {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const tagged = colon > slash;
  return { name: tagged ? rest.slice(0, colon) : rest, ...(tagged ? { tag: rest.slice(colon + 1) } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Why `image` is not a releasable image reference (with a tag or a digest), or null. */
export function imageProblem(image: string): string | null {
  const example = (name: string) => (name.includes('/') ? `${name}:1.4.3` : `ghcr.io/acme/${name || 'checkout'}:1.4.3`);
  if (/\s/.test(image)) return `"${image}" is not an image reference: it contains spaces`;
  const { name, tag, digest } = splitImage(image);
  const parts = name.split('/');
  const host = parts.length > 1 && (parts[0]!.includes('.') || parts[0]!.includes(':') || parts[0] === 'localhost') ? parts.shift()! : undefined;
  if (host !== undefined && !HOST.test(host)) return `"${image}" is not an image reference: "${host}" is not a registry host`;
  const bad = parts.find((p) => !PATH_COMPONENT.test(p));
  if (bad !== undefined) {
    return /[A-Z]/.test(bad)
      ? `"${image}" is not an image reference: repository names are lowercase ("${bad}")`
      : `"${image}" is not an image reference: "${bad}" is not a valid repository name part (lowercase letters, digits, '.', '_', '-')`;
  }
  if (tag === undefined && digest === undefined) {
    return `"${image}" has no tag or digest, so it does not pin a version; write the full image, e.g. ${example(name)} (or ${name}@sha256:<digest>)`;
  }
  if (tag !== undefined && !TAG.test(tag)) return `"${image}" has an invalid tag "${tag}" (letters, digits, '_', '.', '-'; up to 128; e.g. ${example(name)})`;
  if (digest !== undefined && !DIGEST.test(digest)) return `"${image}" has an invalid digest "${digest}" (e.g. ${name}@sha256:<64 hex digits>)`;
  return null;
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
const versionOf = (r: ImageRef) => shortImage(`${r.tag ?? ''}${r.digest ? `@${r.digest}` : ''}`);

/** "ghcr.io/acme/checkout:1.4.2 → 1.4.3"; the whole new image when the repository changes; just the image when there was none. */
export function imageChange(previous: string | undefined, image: string): string {
  if (!previous) return shortImage(image);
  const a = splitImage(previous);
  const b = splitImage(image);
  return a.name === b.name && (b.tag !== undefined || b.digest !== undefined) ? `${shortImage(previous)} → ${versionOf(b)}` : `${shortImage(previous)} → ${shortImage(image)}`;
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
