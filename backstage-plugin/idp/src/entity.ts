/**
 * Which repository and paws.yaml a catalog entity is, read from its annotations exactly as idp's Scaffolder actions
 * read them (one parser, `@idp/providers/repo-identity`, which is browser-safe): `backstage.io/source-location`, and
 * `idp/paws-path` to override where paws.yaml is.
 */
import type { Entity } from '@backstage/catalog-model';
import type { RepoRef } from '@idp/core';
import { entityRepoRef, PAWS_PATH, SOURCE_LOCATION } from '@idp/providers/repo-identity';

export { PAWS_PATH, SOURCE_LOCATION };

/** Components idp can act on: they say where their repository is. */
export function isIdpComponent(entity: Entity): boolean {
  return entity.kind.toLowerCase() === 'component' && entityRepo(entity) !== undefined;
}

export function entityRepo(entity: Entity): RepoRef | undefined {
  return entityRepoRef(entity.metadata.annotations);
}
