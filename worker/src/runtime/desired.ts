/**
 * The desired state of one component, read from its paws.yaml at a commit of the default branch: for each environment,
 * the processes to run (one per Score container that has a `command`, named `<container>.1`), their image, the
 * environment's effective variables and the secret references to resolve. A fingerprint of exactly what a process
 * sees (image, command, variables, secret references and versions) decides whether a new commit restarts it: a merge
 * that changes only another environment leaves this one running.
 *
 * Placeholders (Score's `${…}` in variable values): `${metadata.name}` is the component; `${resources.<name>.<output>}`
 * is an output of a resource the platform provisions, and the local runtime provisions none, so a variable holding
 * one is left unset (and named in the runtime's log line when the process starts). `$${` is a literal `${`.
 */
import { createHash } from 'node:crypto';
import { deployedImage, deployTargetFor, effectiveSecrets, effectiveVariables, type EffectiveSecret, type PawsSpec } from '@idp/core';

export interface DesiredProcess {
  /** `web.1`: the container's name and its (only) instance. */
  name: string;
  container: string;
  command: string[];
  image: string;
  /** Gets PORT, answers at the environment's URL, and is scraped at /metrics. */
  web: boolean;
}

export interface DesiredEnvironment {
  component: string;
  environment: string;
  /** The image the environment runs (its released container's): what IDP_IMAGE says and `idp env list` shows. */
  image?: string;
  processes: DesiredProcess[];
  variables: Record<string, string>;
  /** Variables left unset: their value names a resource output the local runtime does not provision. */
  unset: string[];
  secrets: EffectiveSecret[];
  /** Why nothing runs for it (no container has a command): the environment is shown stopped with this reason. */
  nothing?: string;
  fingerprint: string;
}

/** The web process: the container named `web`, else the first one when the workload exposes service ports. */
function webContainer(spec: PawsSpec, runnable: string[]): string | undefined {
  if (runnable.includes('web')) return 'web';
  return Object.keys(spec.service?.ports ?? {}).length ? runnable[0] : undefined;
}

/** `value` with the placeholders the local runtime can fill filled, or undefined when it needs a resource. */
function substitute(value: string, component: string): string | undefined {
  let needsResource = false;
  const out = value.replace(/\$(\$)?\{([^}]*)\}/g, (all, escaped: string | undefined, name: string) => {
    if (escaped) return all.slice(1);
    if (name === 'metadata.name') return component;
    if (name.startsWith('resources.')) needsResource = true;
    return all;
  });
  return needsResource ? undefined : out;
}

/**
 * Every environment of `spec`. `readFile` reads another file of the same commit: a kustomize or helm-values release
 * target in the component's own repository says the image there (one in a deployment repository elsewhere is not
 * read: the container's image runs).
 */
export async function desiredEnvironments(spec: PawsSpec, text: string, pawsPath: string, readFile: (path: string) => Promise<string | undefined>): Promise<DesiredEnvironment[]> {
  const component = spec.metadata.name;
  const containers = Object.entries(spec.containers);
  const runnable = containers.filter(([, c]) => c.command?.length).map(([name]) => name);
  const web = webContainer(spec, runnable);
  const out: DesiredEnvironment[] = [];
  for (const environment of Object.keys(spec.environments ?? {})) {
    let released: { container: string; image: string } | undefined;
    try {
      const target = deployTargetFor(spec, environment, pawsPath);
      const file = target.format === 'paws' ? text : target.repo === undefined ? await readFile(target.file) : undefined;
      const image = file !== undefined ? deployedImage(target, file, spec) : null;
      if (image) released = { container: target.container, image };
    } catch {
      // No release target (no containers, a broken deploy file): the containers' own images run.
    }
    const imageOf = (name: string) => (released?.container === name ? released.image : (spec.containers[name]!.image as string));
    const processes = runnable.map((container) => {
      const c = spec.containers[container]!;
      return { name: `${container}.1`, container, command: [...(c.command ?? []), ...(c.args ?? [])], image: imageOf(container), web: container === web };
    });
    const variables: Record<string, string> = {};
    const unset: string[] = [];
    for (const v of effectiveVariables(spec, environment)) {
      const value = substitute(v.value, component);
      if (value === undefined) unset.push(v.key);
      else variables[v.key] = value;
    }
    const secrets = effectiveSecrets(spec, environment);
    const image = released?.image ?? (containers[0] ? imageOf(containers[0][0]) : undefined);
    const nothing = processes.length ? undefined : 'nothing to run: no container of paws.yaml has a command (the local runtime runs command/args; it pulls no images)';
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ processes, variables, unset, secrets: secrets.map((s) => [s.key, s.ref, s.version ?? null]) }))
      .digest('hex');
    out.push({ component, environment, ...(image ? { image } : {}), processes, variables, unset, secrets, ...(nothing ? { nothing } : {}), fingerprint });
  }
  return out;
}
