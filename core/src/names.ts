/**
 * Naming rules shared by every client and the server: environment names,
 * deterministic workflow ids and the PR branch derived from them.
 */
import { InvalidRequestError } from './errors.js';

export const RESERVED_ENV_NAMES = new Set(['default', 'all', 'base', 'main', 'master', 'head', 'new', 'none', 'idp']);

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot be an environment name, or null when it can. */
export function envNameProblem(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.length > 63) return `"${name}" is ${name.length} characters long; at most 63 are allowed`;
  if (!DNS1123_LABEL.test(name)) {
    return `"${name}" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  }
  if (RESERVED_ENV_NAMES.has(name)) return `"${name}" is a reserved name; choose another`;
  return null;
}

export function assertEnvName(name: string, role = 'environment'): void {
  const problem = envNameProblem(name);
  if (problem) throw new InvalidRequestError(`Invalid ${role} name: ${problem}.`, { field: role, value: name });
}

/** A secret's name, as the workload sees it: an environment variable name (and a path segment in every store). */
const SECRET_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Why `key` cannot be a secret's name, or null when it can. The key is never quoted back: a mistyped command line can
 * put a value where the name goes (`STRIPE_KEY=sk_live_…`).
 */
export function secretKeyProblem(key: string): string | null {
  if (key.length === 0) return 'the name is empty';
  if (key.includes('=')) return 'the name contains "=": give the name alone; the value never goes on the command line or in a URL';
  if (key.length > 128) return `the name is ${key.length} characters long; at most 128 are allowed`;
  if (!SECRET_KEY.test(key)) return "the name is not an environment variable name: use letters, digits and '_', not starting with a digit (e.g. STRIPE_KEY)";
  return null;
}

export type WorkflowKind = 'env-clone' | 'env-create' | 'env-destroy' | 'env-extend' | 'env-vars' | 'env-secrets' | 'env-ttl' | 'releases' | 'release';

/**
 * Deterministic id: a repeated request joins the running workflow instead of
 * starting another. DESIGN.md's `env-clone:<component>:<target>`, plus
 * `@<repoKey>` (a short hash of the repository's canonical identity) so two
 * repositories whose paws.yaml use the same component name never share a
 * workflow, a PR or a TTL timer.
 */
export function workflowId(kind: Exclude<WorkflowKind, 'release'>, component: string, env: string, repoKey?: string): string {
  return `${kind}:${component}:${env}${repoKey ? `@${repoKey}` : ''}`;
}

/**
 * Release number `number` of `env`: `release:<component>:<env>:v<number>@<repoKey>`.
 * Numbered (unlike environment changes) because releases to one environment
 * queue behind each other: each is its own workflow, PR and ledger entry.
 * `releases:<component>:<env>@<repoKey>` (workflowId('releases', …)) is the
 * environment's queue and ledger.
 */
export function releaseWorkflowId(component: string, env: string, number: number, repoKey?: string): string {
  return `release:${component}:${env}:v${number}${repoKey ? `@${repoKey}` : ''}`;
}

export interface ParsedWorkflowId {
  kind: WorkflowKind;
  component: string;
  env: string;
  /** Releases only: the release number. */
  number?: number;
  repoKey?: string;
}

export function parseWorkflowId(id: string): ParsedWorkflowId | null {
  const m = /^(env-clone|env-create|env-destroy|env-extend|env-vars|env-secrets|env-ttl|releases|release):([^:@]+):([^:@]+)(?::v([1-9][0-9]*))?(?:@([0-9a-f]+))?$/.exec(id);
  if (!m || (m[1] === 'release') !== (m[4] !== undefined)) return null;
  return {
    kind: m[1] as WorkflowKind,
    component: m[2]!,
    env: m[3]!,
    ...(m[4] ? { number: Number(m[4]) } : {}),
    ...(m[5] ? { repoKey: m[5] } : {}),
  };
}

/**
 * The PR branch for a workflow: `idp/<kind>/<component>/<env>`. DESIGN.md says
 * `idp/<workflow-id>`, but ':' is not allowed in git ref names; and a branch
 * lives in one repository, so the repository key is left out.
 */
export function branchForWorkflow(id: string): string {
  const p = parseWorkflowId(id);
  if (!p || p.kind === 'releases') throw new Error(`not an idp workflow id with a PR: ${id}`);
  // A release PR may live in another repository (the deployment repo), shared by many
  // components: its branch carries the component repository's key to find its workflow.
  if (p.kind === 'release') return `idp/release/${p.component}/${p.env}/v${p.number}${p.repoKey ? `@${p.repoKey}` : ''}`;
  return `idp/${p.kind}/${p.component}/${p.env}`;
}

/** The workflow that owns a PR branch of the repository with key `repoKey` (release branches name their own), or null for other branches. */
export function workflowForBranch(branch: string, repoKey?: string): string | null {
  const release = /^idp\/release\/([^/]+)\/([^/]+)\/(v[0-9]+)(?:@([0-9a-f]+))?$/.exec(branch);
  if (release) {
    const id = `release:${release[1]}:${release[2]}:${release[3]}${release[4] ? `@${release[4]}` : ''}`;
    return parseWorkflowId(id) ? id : null;
  }
  const m = /^idp\/(env-[a-z]+)\/([^/]+)\/([^/]+)$/.exec(branch);
  if (!m) return null;
  const id = `${m[1]}:${m[2]}:${m[3]}${repoKey ? `@${repoKey}` : ''}`;
  return parseWorkflowId(id) ? id : null;
}

/** The commit status idp sets on every release PR's head: green only when the release policy holds there. */
export const POLICY_STATUS_CONTEXT = 'idp/policy';
