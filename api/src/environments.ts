/**
 * `idp env list`: environments in paws.yaml on the default branch, plus the ones
 * only proposed in open idp PRs, each with its open PRs and running workflows.
 */
import type { Client } from '@temporalio/client';
import { deployedImage, deployTargetFor, listEnvironments as envsOf, parsePaws, parseWorkflowId, workflowForBranch, type EnvironmentList, type EnvironmentView, type PawsSpec } from '@idp/core';
import { type GitProvider, repoKey } from '@idp/providers';
import { listRunningForComponent } from './workflows.js';
import { withStuck } from './stuck.js';
import type { RuntimeStatus } from './runtime-status.js';

export async function listEnvironments(args: {
  temporal: Client;
  provider: GitProvider;
  base: string;
  text: string;
  ref: { repo: string; path: string };
  /** What runs for each environment, where a runtime reports (the embedded stack's local runtime). */
  runtime?: RuntimeStatus;
}): Promise<EnvironmentList> {
  const { spec } = parsePaws(args.text, args.ref.path);
  const component = spec.metadata.name;
  const [{ pulls }, running] = await Promise.all([
    args.provider.listPullRequests({ state: 'open', headPrefix: 'idp/env-' }),
    listRunningForComponent(args.temporal, args.provider.id, component).then((wfs) => withStuck(args.temporal, wfs)),
  ]);
  const views = new Map<string, EnvironmentView>();
  for (const e of envsOf(spec)) {
    views.set(e.name, {
      name: e.name,
      from: e.from,
      ephemeral: e.ephemeral,
      ttl: e.ttl,
      expiresAt: e.expiresAt,
      ...imageOf(spec, args.text, e.name, args.ref.path),
      source: 'paws.yaml',
      variables: e.variables,
      secrets: e.secrets,
      pulls: [],
      workflows: [],
    });
  }
  const viewFor = (name: string) => {
    let v = views.get(name);
    if (!v) {
      v = { name, ephemeral: false, source: 'pending', variables: {}, secrets: [], pulls: [], workflows: [] };
      views.set(name, v);
    }
    return v;
  };
  for (const pr of pulls) {
    const id = workflowForBranch(pr.head, repoKey(args.provider));
    const parsed = id ? parseWorkflowId(id) : null;
    if (!parsed || parsed.component !== component) continue;
    viewFor(parsed.env).pulls.push({ number: pr.number, url: pr.url, state: pr.state, head: pr.head, headSha: pr.headSha, workflowId: id!, kind: parsed.kind });
  }
  // An environment only proposed so far: describe it as its PR's paws.yaml does.
  await Promise.all(
    [...views.values()].filter((v) => v.source === 'pending' && v.pulls[0]).map(async (v) => {
      // A PR branch with a broken paws.yaml must not break the list: that environment is shown bare.
      const proposed = await args.provider
        .readFile(args.ref.path, v.pulls[0]!.headSha)
        .then((file) => {
          if (!file) return undefined;
          const proposedSpec = parsePaws(file.content, args.ref.path).spec;
          const env = envsOf(proposedSpec).find((e) => e.name === v.name);
          return env && { ...env, ...imageOf(proposedSpec, file.content, v.name, args.ref.path) };
        })
        .catch(() => undefined);
      if (proposed) Object.assign(v, { from: proposed.from, ephemeral: proposed.ephemeral, ttl: proposed.ttl, expiresAt: proposed.expiresAt, ...(proposed.image ? { image: proposed.image } : {}), variables: proposed.variables, secrets: proposed.secrets });
    }),
  );
  for (const wf of running) {
    if (wf.kind === 'env-ttl' && !views.has(wf.environment)) continue;
    // An environment's release queue is its ledger, always running and never a change: `idp releases` shows it.
    if (wf.kind === 'releases') continue;
    const view = viewFor(wf.environment);
    view.workflows.push(wf);
    // A release PR may live in another (deployment) repository: its workflow knows it, the listing above does not.
    if (wf.kind === 'release' && wf.pr?.state === 'open' && !view.pulls.some((p) => p.url === wf.pr!.url)) {
      view.pulls.push({ number: wf.pr.number, url: wf.pr.url, state: wf.pr.state, head: wf.pr.head, headSha: wf.pr.headSha, workflowId: wf.workflowId, kind: 'release' });
    }
  }
  if (args.runtime) {
    await Promise.all([...views.values()].map(async (v) => {
      const runtime = await args.runtime!.get(component, v.name);
      if (runtime) v.runtime = runtime;
    }));
  }
  return { component, repo: args.ref.repo, provider: args.provider.kind, defaultBranch: args.base, environments: [...views.values()] };
}

/**
 * The image an environment runs when releases are written into paws.yaml itself (its own, inherited along `from:`, or
 * the container's): read from the text at hand, no further reads. Kustomize/helm-values targets live in other files
 * (maybe other repositories): `idp releases` shows their images.
 */
function imageOf(spec: PawsSpec, text: string, env: string, path: string): { image?: string } {
  try {
    const target = deployTargetFor(spec, env, path);
    if (target.format !== 'paws') return {};
    const image = deployedImage(target, text, spec);
    return image ? { image } : {};
  } catch {
    return {}; // No container to release (the rules report it elsewhere): no image to show.
  }
}
