/**
 * A deployment repository in another repository than the component's takes
 * releases only from the components it opted in (core/src/release/access.ts).
 * Checked by the API when a release is requested and by prepareRelease right
 * before it writes, each time reading the opt-in on the deployment repository's
 * default branch (never from a PR, never cached).
 */
import { deployAccessExample, DEPLOY_ACCESS_FILE, grantedPaths, IdpError, InvalidRequestError, parseDeployAccess, pathGranted, repoPathProblem, type DeployTarget } from '@idp/core';
import type { GitProvider, ProviderLookup } from './provider.js';

/** Throws `forbidden` (403) unless `target` is in the component's own repository or its repository grants the component that file. */
export async function assertDeployAccess(providers: ProviderLookup, component: GitProvider, componentRepo: string, target: DeployTarget): Promise<void> {
  if (target.repo === undefined) return;
  const deploy = providers(target.repo);
  // The component's own repository (in any spelling): its own reviews govern what is written there.
  if (deploy.id === component.id) return;
  const problem = repoPathProblem(target.file);
  if (problem) throw new InvalidRequestError(`The deployment file ${target.file} (deploy.path in paws.yaml) is not a plain path inside ${target.repo}: ${problem}.`);

  const { defaultBranch, file } = await deploy.snapshot(DEPLOY_ACCESS_FILE);
  const dir = target.file.includes('/') ? `${target.file.slice(0, target.file.lastIndexOf('/'))}/**` : target.file;
  const howTo = `Its owners opt in by adding ${DEPLOY_ACCESS_FILE} to ${target.repo} (on ${defaultBranch}, through their own review), e.g.:\n${deployAccessExample(componentRepo, dir)}`;
  if (!file) {
    throw forbidden(`${target.repo} does not take releases from ${componentRepo}: it has no ${DEPLOY_ACCESS_FILE} on ${defaultBranch}. ${howTo}`);
  }
  const access = parseDeployAccess(file.content, `${DEPLOY_ACCESS_FILE} in ${target.repo}`);
  const globs = grantedPaths(access, component.id, (repo) => identityOf(providers, repo, componentRepo, component.id));
  if (pathGranted(target.file, globs)) return;
  throw forbidden(
    globs.length === 0
      ? `${target.repo} does not take releases from ${componentRepo}: its ${DEPLOY_ACCESS_FILE} (on ${defaultBranch}) grants it nothing. ${howTo}`
      : `${target.repo} lets ${componentRepo} write only ${globs.join(', ')} (${DEPLOY_ACCESS_FILE} on ${defaultBranch}), not ${target.file}. Ask its owners to add ${dir} to that grant, or change deploy.path in paws.yaml.`,
  );
}

/** A grant's repository as a provider identity (every spelling of a remote gives the same), or null when idp cannot resolve it. */
function identityOf(providers: ProviderLookup, repo: string, componentRepo: string, componentId: string): string | null {
  if (repo === componentRepo) return componentId;
  try {
    return providers(repo).id;
  } catch {
    return null;
  }
}

function forbidden(message: string): IdpError {
  return new IdpError('forbidden', 403, message);
}
