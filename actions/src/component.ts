/**
 * Which component an action acts on: a catalog entity ref (what a template's EntityPicker gives), or a repository and
 * paws.yaml path. The entity is read through the catalog with the acting user's credentials (the catalog's read
 * permission applies), and its repository taken from its `backstage.io/source-location` annotation:
 *   url:file:///srv/idp/demo/checkout.git/                       → /srv/idp/demo/checkout.git, paws.yaml
 *   url:https://github.com/acme/shop/tree/main/services/checkout/ → https://github.com/acme/shop, services/checkout/paws.yaml
 *   url:https://gitlab.com/acme/shop/-/tree/main/checkout          → https://gitlab.com/acme/shop, checkout/paws.yaml
 * The annotation `idp/paws-path` (a path from the repository's root) overrides where paws.yaml is.
 */
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { entityRepoRef, PAWS_PATH, SOURCE_LOCATION, sourceLocationRepo } from '@idp/providers/repo-identity';

export { PAWS_PATH, SOURCE_LOCATION };

/** What every component-acting action accepts. */
export interface ComponentInput {
  component?: string;
  repo?: string;
  path?: string;
}

export interface ResolvedComponent {
  repo: string;
  path: string;
  /** The entity it came from, when given one. */
  entityRef?: string;
}

/**
 * Repository (a remote URL, or a path on disk for the local forge) and folder (relative to its root, '' for the root) a
 * source-location annotation names: the idp plugin's reading of it (context resolution), as the API takes a repo.
 */
export function parseSourceLocation(value: string): { repo: string; dir: string } | undefined {
  return sourceLocationRepo(value);
}

export async function resolveComponent(catalog: CatalogService, credentials: BackstageCredentials, input: ComponentInput): Promise<ResolvedComponent> {
  if (input.component && input.repo) throw new InputError('Give either component (a catalog entity ref) or repo (with path), not both.');
  if (input.repo) return { repo: input.repo, path: input.path ?? 'paws.yaml' };
  if (!input.component) throw new InputError('Which component? Give component (a catalog entity ref, e.g. component:default/checkout) or repo and path.');
  const entity = await catalog.getEntityByRef(input.component, { credentials });
  // Absent, or not visible to this user: the same answer, as the catalog gives it.
  if (!entity) throw new NotFoundError(`${input.component} is not in the catalog (or you may not read it). Pick a component from the catalog.`);
  const annotations = entity.metadata.annotations ?? {};
  const location = annotations[SOURCE_LOCATION];
  const source = entityRepoRef(annotations);
  if (!source) {
    throw new InputError(
      `${input.component} has no usable ${SOURCE_LOCATION} annotation${location ? ` ("${location}")` : ''}, so idp cannot tell its repository. Add one (e.g. url:https://github.com/acme/checkout/tree/main/) or give repo and path.`,
    );
  }
  return { repo: source.repo, path: input.path ?? source.path, entityRef: input.component };
}
