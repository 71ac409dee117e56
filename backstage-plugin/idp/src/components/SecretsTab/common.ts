/** What the Secrets & Variables tab's parts share: how a version, a source and a key are shown and checked. */
import { secretKeyProblem } from '@idp/core/names';

/** A sops version is a commit: shown short, as git (and `idp secrets`) does; other stores' versions as they are. */
export const shortVersion = (v: string | undefined) => (v === undefined ? '—' : /^[0-9a-f]{40}$/.test(v) ? v.slice(0, 7) : v);

/** "own", "from: staging", "workload default: web" — where an effective value comes from. */
export function sourceText(source: string): string {
  if (source.startsWith('from:')) return `from: ${source.slice('from:'.length)}`;
  if (source.startsWith('container:')) return `workload default: ${source.slice('container:'.length)}`;
  return source;
}

/** The key field's error, as the server would refuse it (never quoting the key: it may be a pasted KEY=value). */
export const keyError = (key: string) => {
  const problem = key ? secretKeyProblem(key) : null;
  return problem ? `Invalid name: ${problem}.` : null;
};
