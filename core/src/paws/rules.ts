/**
 * Rules that a schema cannot express: they look at names, at other environments
 * or containers, or at the syntax of strings (TTLs, timeouts, image references).
 */
import type { PawsIssue } from '../errors.js';
import { envNameProblem } from '../names.js';
import { IDP_POLICY_STATUS } from '../release/floors.js';
import { parseImage } from '../release/image.js';
import { parseTimeout } from '../release/timeout.js';
import { isIsoTimestamp, parseTtl } from '../ttl.js';
import type { DeploySpec, EnvironmentSpec } from './schema.js';

/** A rule violation; `atKey` when it is about a mapping key (a name) rather than its value. */
export type RuleIssue = PawsIssue & { atKey?: boolean };

/**
 * Every rule violation in `environments` (and in `deploy`, when the spec has one), each
 * with the path of the offending node. parse.ts calls this for the whole document.
 */
export function environmentIssues(spec: {
  environments?: Record<string, EnvironmentSpec> | null;
  deploy?: DeploySpec;
  containers?: Record<string, unknown>;
}): RuleIssue[] {
  const envs = spec.environments ?? {};
  const names = Object.keys(envs);
  const issues: RuleIssue[] = spec.deploy ? deployIssues(spec.deploy, Object.keys(spec.containers ?? {})) : [];

  for (const [name, env] of Object.entries(envs)) {
    const at = ['environments', name];
    const problem = envNameProblem(name);
    if (problem) issues.push({ message: `invalid environment name: ${problem}`, path: at, atKey: true });

    if (env.from !== undefined && env.from !== name && !Object.hasOwn(envs, env.from)) {
      issues.push({
        message: `environment "${name}" is cloned from "${env.from}", which does not exist; existing: ${names.join(', ')}`,
        path: [...at, 'from'],
      });
    }

    if (env.image !== undefined) {
      try {
        parseImage(env.image);
      } catch (e) {
        issues.push({ message: (e as Error).message, path: [...at, 'image'] });
      }
    }
    for (const [path, timeout] of [
      [['release', 'timeout'], env.release?.timeout],
      [['release', 'rollback', 'timeout'], env.release?.rollback?.timeout],
    ] as const) {
      if (timeout === undefined) continue;
      try {
        parseTimeout(timeout);
      } catch (e) {
        issues.push({ message: (e as Error).message, path: [...at, ...path] });
      }
    }

    for (const [path, checks] of [
      [['release', 'requiredChecks'], env.release?.requiredChecks],
      [['release', 'rollback', 'requiredChecks'], env.release?.rollback?.requiredChecks],
    ] as const) {
      const index = checks?.indexOf(IDP_POLICY_STATUS) ?? -1;
      if (index < 0) continue;
      issues.push({
        message: `${IDP_POLICY_STATUS} is the status idp itself publishes for the release policy, so requiring it would be circular; remove it (require your CI's checks, like ci/build)`,
        path: [...at, ...path, index],
      });
    }

    const lifecycle = env.lifecycle;
    if (lifecycle) {
      if (lifecycle.ttl === undefined && lifecycle.expiresAt === undefined) {
        issues.push({ message: 'lifecycle needs a ttl (like 72h) or an expiresAt; leave lifecycle out for a permanent environment', path: [...at, 'lifecycle'] });
      }
      if (lifecycle.ttl !== undefined) {
        try {
          parseTtl(lifecycle.ttl);
        } catch (e) {
          issues.push({ message: (e as Error).message, path: [...at, 'lifecycle', 'ttl'] });
        }
      }
      if (lifecycle.expiresAt !== undefined && !isIsoTimestamp(lifecycle.expiresAt)) {
        issues.push({
          message: `expiresAt "${lifecycle.expiresAt}" is not an ISO-8601 timestamp; write it like "2026-11-27T10:00:00Z"`,
          path: [...at, 'lifecycle', 'expiresAt'],
        });
      }
    }
  }

  for (const cycle of fromCycles(envs)) {
    issues.push({
      message: `environments are cloned from each other in a cycle: ${cycle.join(' → ')}; one of them must not have from:`,
      path: ['environments', cycle[0]!, 'from'],
    });
  }
  return issues;
}

/** `deploy:` rules: what each format needs, and an existing container. */
export function deployIssues(deploy: DeploySpec, containers: string[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (deploy.format === 'paws') {
    for (const key of ['repo', 'path'] as const) {
      if (deploy[key] === undefined) continue;
      issues.push({
        message: `deploy.${key} does not apply to format paws: the released image is written into this paws.yaml (environments.<env>.image); remove ${key}, or choose format kustomize or helm-values`,
        path: ['deploy', key],
        atKey: true,
      });
    }
  } else if (deploy.path === undefined) {
    issues.push({ message: `deploy.format ${deploy.format} needs a path to the file for each environment, like path: apps/checkout/{env}`, path: ['deploy'] });
  } else if (!deploy.path.includes('{env}')) {
    issues.push({
      message: `deploy.path "${deploy.path}" must contain {env}, so each environment gets its own file, like apps/checkout/{env}`,
      path: ['deploy', 'path'],
    });
  }
  if (deploy.container !== undefined && !containers.includes(deploy.container)) {
    issues.push({
      message: `deploy.container "${deploy.container}" is not one of the containers (${containers.join(', ') || 'none'}); name the container whose image is released`,
      path: ['deploy', 'container'],
    });
  }
  return issues;
}

/**
 * Each `from:` cycle once, starting at the environment that comes first in the
 * file, closed by repeating it: ["a", "b", "a"]. A self-reference is ["a", "a"].
 */
export function fromCycles(envs: Record<string, { from?: string }>): string[][] {
  const order = Object.keys(envs);
  const done = new Set<string>();
  const cycles: string[][] = [];
  for (const start of order) {
    const chain: string[] = [];
    let name: string | undefined = start;
    while (name !== undefined && Object.hasOwn(envs, name) && !done.has(name)) {
      const seen = chain.indexOf(name);
      if (seen !== -1) {
        const cycle = chain.slice(seen);
        // Rotate so the cycle starts at its first environment in file order: stable, readable output.
        const first = cycle.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
        const at = cycle.indexOf(first);
        const rotated = [...cycle.slice(at), ...cycle.slice(0, at)];
        cycles.push([...rotated, first]);
        break;
      }
      chain.push(name);
      name = envs[name]!.from;
    }
    for (const n of chain) done.add(n);
  }
  return cycles;
}
