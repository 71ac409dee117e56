import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPawsError, InvalidRequestError, NotFoundError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { CHECKOUT, lineDiff } from '../paws/test-fixtures.js';
import { deployedImage, deployTargetFor, setDeployedImage } from './deploy.js';

const spec = (deploy: string) =>
  parsePaws(`apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx }, worker: { image: busybox } }\n${deploy}environments: { staging: {} }\n`).spec;

/** CHECKOUT writing releases into paws.yaml itself: staging pins an image, preview-123 inherits it. */
const PAWS = CHECKOUT.replace(/deploy:[^]*?\n\n/, '').replace('    variables: { LOG_LEVEL: debug }\n', '    image: ghcr.io/acme/checkout:1.4.2   # staging runs\n    variables: { LOG_LEVEL: debug }\n');
const target = (env: string) => deployTargetFor(parsePaws(PAWS).spec, env, 'paws.yaml');

describe('deployTargetFor', () => {
  it('finds the kustomization of the environment in the deployment repository', () => {
    assert.deepEqual(deployTargetFor(parsePaws(CHECKOUT).spec, 'staging', 'paws.yaml'), {
      repo: 'github.com/acme/deployments',
      file: 'apps/checkout/staging/kustomization.yaml',
      format: 'kustomize',
      env: 'staging',
      container: 'web',
    });
  });

  it('uses values.yaml for helm-values, a path ending in .yaml as is, and the component repository by default', () => {
    assert.deepEqual(deployTargetFor(spec('deploy: { format: helm-values, path: "deploy/{env}/", container: worker }\n'), 'staging', 'svc/paws.yaml'), {
      file: 'deploy/staging/values.yaml',
      format: 'helm-values',
      env: 'staging',
      container: 'worker',
    });
    assert.equal(deployTargetFor(spec('deploy: { format: kustomize, path: "k/{env}.yml" }\n'), 'staging', 'paws.yaml').file, 'k/staging.yml');
  });

  it('writes into paws.yaml without deploy: or with format paws', () => {
    const expected = { file: 'svc/paws.yaml', format: 'paws', env: 'staging', container: 'web' };
    assert.deepEqual(deployTargetFor(spec(''), 'staging', 'svc/paws.yaml'), expected);
    assert.deepEqual(deployTargetFor(spec('deploy: { format: paws }\n'), 'staging', 'svc/paws.yaml'), expected);
  });

  it('names the environments that exist when the one asked for does not', () => {
    assert.throws(
      () => deployTargetFor(spec(''), 'prod', 'paws.yaml'),
      (e: Error) => e instanceof NotFoundError && e.message === 'Environment "prod" does not exist in paws.yaml; existing: staging.',
    );
  });
});

describe('paws format', () => {
  it('reads the environment image, inherited through from:, else the container image', () => {
    assert.equal(deployedImage(target('staging'), PAWS, parsePaws(PAWS).spec), 'ghcr.io/acme/checkout:1.4.2');
    assert.equal(deployedImage(target('preview-123'), PAWS, parsePaws(PAWS).spec), 'ghcr.io/acme/checkout:1.4.2');
    const other = PAWS.replace('1.4.2   # staging', '1.3.0   # staging');
    assert.equal(deployedImage(target('production'), other, parsePaws(other).spec), 'ghcr.io/acme/checkout:1.4.2');
  });

  it('replaces an image in place: one line, comment kept', () => {
    const out = setDeployedImage(target('staging'), PAWS, 'ghcr.io/acme/checkout:1.5.0', parsePaws(PAWS).spec);
    assert.deepEqual(lineDiff(PAWS, out), ['-18:     image: ghcr.io/acme/checkout:1.4.2   # staging runs', '+18:     image: ghcr.io/acme/checkout:1.5.0   # staging runs']);
    // preview-123 inherits the new image; production still runs the container's.
    assert.equal(deployedImage(target('preview-123'), out, parsePaws(out).spec), 'ghcr.io/acme/checkout:1.5.0');
  });

  it('adds the image as the last key of an environment, adding one line', () => {
    const out = setDeployedImage(target('production'), PAWS, 'ghcr.io/acme/checkout:1.5.0', parsePaws(PAWS).spec);
    assert.deepEqual(lineDiff(PAWS, out), ['+25:     image: ghcr.io/acme/checkout:1.5.0']);
    assert.equal(deployedImage(target('production'), out, parsePaws(out).spec), 'ghcr.io/acme/checkout:1.5.0');
  });

  it('turns `name: {}` into a block, and extends `{ from: x }`', () => {
    const head = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: c }\ncontainers: { web: { image: nginx } }\n';
    const text = `${head}environments:\n  staging: {}   # shared\n  qa: { from: staging }\n`;
    const t = (env: string) => deployTargetFor(parsePaws(text).spec, env, 'paws.yaml');
    assert.equal(setDeployedImage(t('staging'), text, 'nginx:1.27', parsePaws(text).spec), `${head}environments:\n  staging:   # shared\n    image: nginx:1.27\n  qa: { from: staging }\n`);
    assert.equal(setDeployedImage(t('qa'), text, 'nginx:1.27', parsePaws(text).spec), `${head}environments:\n  staging: {}   # shared\n  qa: { from: staging, image: nginx:1.27 }\n`);
  });

  it('refuses unversioned images and invalid paws.yaml', () => {
    assert.throws(() => setDeployedImage(target('staging'), PAWS, 'ghcr.io/acme/checkout', parsePaws(PAWS).spec), InvalidRequestError);
    assert.throws(() => deployedImage(target('staging'), 'kind: [', parsePaws(PAWS).spec), InvalidPawsError);
  });
});
