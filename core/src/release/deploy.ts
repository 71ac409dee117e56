/**
 * Where a release of an environment is written (the deployment target) and the
 * image it names there: a kustomization, a Helm values file, or, without `deploy:`
 * or with `format: paws`, `environments.<env>.image` in paws.yaml itself.
 *
 * Edits change only the lines they must and are checked after (the result must
 * parse and mean exactly the intended change), like the paws.yaml edits.
 */
import { InvalidRequestError } from '../errors.js';
import { environmentOrThrow } from '../paws/lookup.js';
import { parsePaws, validatePawsSpec } from '../paws/parse.js';
import type { PawsSpec } from '../paws/schema.js';
import { insertPair, mappingKeys, replaceScalar } from '../paws/splice.js';
import { helmImage, setHelmImage } from './helm.js';
import { imageRepository, parseImage } from './image.js';
import { fromChain } from './inherit.js';
import { kustomizeImage, setKustomizeImage } from './kustomize.js';
import { editBug } from './yaml-file.js';

export type DeployFormat = 'paws' | 'kustomize' | 'helm-values';

export interface DeployTarget {
  /** The deployment repository; undefined: the component's own repository. */
  repo?: string;
  /** Path of the file inside that repository. */
  file: string;
  format: DeployFormat;
  env: string;
  /** The container whose image is released. */
  container: string;
}

/** Where releases of `env` are written; `pawsPath` is paws.yaml's path in the component's repository. */
export function deployTargetFor(spec: PawsSpec, env: string, pawsPath: string): DeployTarget {
  environmentOrThrow(spec, env, pawsPath);
  const container = releasedContainer(spec, pawsPath);
  const deploy = spec.deploy;
  if (!deploy || deploy.format === 'paws') return { file: pawsPath, format: 'paws', env, container };
  if (deploy.path === undefined) {
    // The rules reject this; a spec built in code may not have been through them.
    throw new InvalidRequestError(`${pawsPath}: deploy.format ${deploy.format} needs a path, like path: apps/checkout/{env}`);
  }
  const path = deploy.path.replaceAll('{env}', env);
  const file = /\.ya?ml$/.test(path) ? path : `${path.replace(/\/+$/, '')}/${deploy.format === 'kustomize' ? 'kustomization.yaml' : 'values.yaml'}`;
  return { ...(deploy.repo !== undefined ? { repo: deploy.repo } : {}), file, format: deploy.format, env, container };
}

/** The image `text` (the target file's content) says the environment runs; null when it does not say. */
export function deployedImage(target: DeployTarget, text: string, spec: PawsSpec): string | null {
  switch (target.format) {
    case 'paws':
      return pawsImage(parsePaws(text, target.file).spec, target);
    case 'kustomize':
      return kustomizeImage(text, target.file, baseRepository(spec, target));
    case 'helm-values':
      return helmImage(text, target.file);
  }
}

/** `text` with the environment's image set to `image`; only the lines that must change do. */
export function setDeployedImage(target: DeployTarget, text: string, image: string, spec: PawsSpec): string {
  parseImage(image);
  switch (target.format) {
    case 'paws':
      return setPawsImage(text, target, image);
    case 'kustomize':
      return setKustomizeImage(text, target.file, baseRepository(spec, target), image);
    case 'helm-values':
      return setHelmImage(text, target.file, image);
  }
}

function releasedContainer(spec: PawsSpec, file: string): string {
  const names = Object.keys(spec.containers);
  const name = spec.deploy?.container ?? names[0];
  if (name === undefined || !Object.hasOwn(spec.containers, name)) {
    throw new InvalidRequestError(
      name === undefined
        ? `${file} has no containers, so there is no image to release; add one under containers:`
        : `${file}: deploy.container "${name}" is not one of the containers (${names.join(', ')})`,
    );
  }
  return name;
}

/** The name kustomize matches: the container's image in paws.yaml, without its version. */
function baseRepository(spec: PawsSpec, target: DeployTarget): string {
  const container = spec.containers[target.container];
  if (!container) throw new InvalidRequestError(`paws.yaml has no container "${target.container}"; existing: ${Object.keys(spec.containers).join(', ')}`);
  return imageRepository(container.image);
}

/** The environment's own image, else the nearest one up its `from:` chain, else the container's. */
function pawsImage(spec: PawsSpec, target: DeployTarget): string | null {
  environmentOrThrow(spec, target.env, target.file);
  const inherited = fromChain(spec, target.env).find((e) => e.image !== undefined)?.image;
  return inherited ?? spec.containers[target.container]?.image ?? null;
}

function setPawsImage(text: string, target: DeployTarget, image: string): string {
  const { file, env } = target;
  const before = parsePaws(text, file).spec;
  environmentOrThrow(before, env, file);
  const intended = JSON.parse(JSON.stringify(before)) as PawsSpec;
  intended.environments![env]!.image = image;
  const expected = validatePawsSpec(intended);
  if (!expected.spec) {
    const list = expected.issues.map((i) => `  - ${i.message}`).join('\n');
    throw new InvalidRequestError(`Cannot set the image of ${env}: ${file} would not be valid afterwards:\n${list}`, { issues: expected.issues });
  }

  const what = `set the image of ${env}`;
  const path = ['environments', env];
  let out: string;
  let after: PawsSpec;
  try {
    out = mappingKeys(text, path).includes('image') ? replaceScalar(text, [...path, 'image'], image) : insertPair(text, path, 'image', image);
    after = parsePaws(out, file).spec;
  } catch (e) {
    throw editBug(what, file, e instanceof Error ? e.message : String(e));
  }
  if (canonical(after) !== canonical(expected.spec)) throw editBug(what, file, 'the edited file does not mean what was intended');
  return out;
}

/** `environments:` with no entries reads as null, which means the same as {}. */
function canonical(spec: PawsSpec): string {
  return JSON.stringify({ ...spec, environments: spec.environments ?? {} });
}
