/**
 * Which component repositories may release into a deployment repository: its
 * own `.idp/deploy-access.yaml`, on its default branch and so reviewed by its
 * owners like any file, names each component repository and the paths its
 * releases may write. A component names the deployment repository in its own
 * paws.yaml, which the deployment repository's owners never review: without
 * this opt-in, any component could release into any team's repository.
 *
 *   apiVersion: paws.dev/v1
 *   kind: DeployAccess
 *   grants:
 *     - repo: github.com/acme/checkout   # any spelling of its remote
 *       paths: [apps/checkout/**]        # globs: * one segment, ** any depth
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { InvalidPawsError, type PawsIssue } from '../errors.js';
import { nodeOffset } from '../paws/nodes.js';
import { PAWS_API_VERSION } from '../paws/schema.js';
import { matchesGlob, repoPathProblem } from './glob.js';

/** Where the opt-in lives in the deployment repository. */
export const DEPLOY_ACCESS_FILE = '.idp/deploy-access.yaml';

const GrantSchema = z
  .object({
    repo: z.string().min(1).describe('A component repository: its remote in any spelling (https://…, git@…:…, host/owner/name) or, on the local forge, its path'),
    paths: z.array(z.string().min(1)).min(1).describe('Files its releases may write, as globs: * matches one segment, ** any depth'),
  })
  .strict();

export const DeployAccessSchema = z
  .object({
    apiVersion: z.literal(PAWS_API_VERSION),
    kind: z.literal('DeployAccess'),
    grants: z.array(GrantSchema),
  })
  .strict();

export type DeployAccess = z.infer<typeof DeployAccessSchema>;

/** Parse and validate the opt-in file; throws one InvalidPawsError listing every problem with its line and column. */
export function parseDeployAccess(text: string, file = DEPLOY_ACCESS_FILE): DeployAccess {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) throw new InvalidPawsError(file, doc.errors.map((e) => ({ message: e.message, ...position(e.pos[0]) })));
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (e) {
    throw new InvalidPawsError(file, [{ message: `cannot read the YAML: ${(e as Error).message}`, line: 1, column: 1 }]);
  }
  const issues: (PawsIssue & { path: (string | number)[]; atKey?: boolean })[] = [];
  const parsed = DeployAccessSchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (i.code === 'unrecognized_keys') {
        for (const key of i.keys) issues.push({ message: `${where(path)}unknown key "${key}"`, path: [...path, key], atKey: true });
      } else issues.push({ message: `${where(path)}${i.message}`, path });
    }
  }
  // The globs, even when other parts are wrong, so one round of fixes is enough.
  const grants = (raw as { grants?: unknown } | null)?.grants;
  (Array.isArray(grants) ? grants : []).forEach((g: unknown, n) => {
    const paths = (g as { paths?: unknown } | null)?.paths;
    (Array.isArray(paths) ? paths : []).forEach((p: unknown, k) => {
      if (typeof p !== 'string' || p === '') return;
      const problem = repoPathProblem(p.replace(/\*+/g, 'x')) ?? (/[^/]\*\*|\*\*[^/]/.test(p) ? '** must be a whole segment, like apps/**' : null);
      if (problem) issues.push({ message: `grants.${n}.paths.${k}: "${p}" is not a path glob inside the repository: ${problem}`, path: ['grants', n, 'paths', k] });
    });
  });
  if (issues.length > 0) {
    throw new InvalidPawsError(
      file,
      issues.map(({ path, atKey, ...issue }) => ({ ...issue, path, ...position(nodeOffset(doc, path, atKey ?? false)) })).sort((a, b) => a.line - b.line || a.column - b.column),
    );
  }
  return parsed.data!;
}

/**
 * The path globs `access` grants to the component whose canonical identity is
 * `componentId`. `identityOf` turns a grant's `repo` into the same kind of
 * identity (the provider's `id`: every spelling of a remote gives the same one),
 * or null when it names no repository idp can resolve (such a grant matches nothing).
 */
export function grantedPaths(access: DeployAccess, componentId: string, identityOf: (repo: string) => string | null): string[] {
  return access.grants.filter((g) => identityOf(g.repo) === componentId).flatMap((g) => g.paths);
}

/** Whether `file` (a plain repository path) is covered by one of `globs`. */
export function pathGranted(file: string, globs: string[]): boolean {
  return repoPathProblem(file) === null && globs.some((g) => matchesGlob(file, g));
}

/** The file a deployment repository's owners add to let `componentRepo` write `glob`. */
export function deployAccessExample(componentRepo: string, glob: string): string {
  return [`apiVersion: ${PAWS_API_VERSION}`, 'kind: DeployAccess', 'grants:', `  - repo: ${componentRepo}`, `    paths: [${glob}]`].join('\n');
}

function where(path: (string | number)[]): string {
  return path.length === 0 ? '' : `${path.join('.')}: `;
}
