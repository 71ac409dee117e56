import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPawsError, type PawsIssue } from '../errors.js';
import { parsePaws } from './parse.js';
import { deployIssues, environmentIssues } from './rules.js';

const HEAD = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx }, worker: { image: nginx } }\n';

/** [line, column, message] of each issue parsePaws reports for `text`. */
function issues(text: string): [number | undefined, number | undefined, string][] {
  try {
    parsePaws(text);
  } catch (e) {
    assert.ok(e instanceof InvalidPawsError, String(e));
    return e.issues.map((i: PawsIssue) => [i.line, i.column, i.message]);
  }
  assert.fail('expected an InvalidPawsError');
}

describe('environment image rule', () => {
  it('requires a tag or digest, at the image', () => {
    assert.deepEqual(issues(`${HEAD}environments:\n  staging:\n    image: checkout\n`), [
      [7, 12, '"checkout" is not a versioned image: give a tag or digest, like ghcr.io/acme/checkout:1.4.3 (or checkout@sha256:<digest>)'],
    ]);
  });

  it('accepts tags, digests and registries with ports', () => {
    const text = `${HEAD}environments:\n  a: { image: "localhost:5000/app:1.2" }\n  b: { image: "nginx@sha256:${'a'.repeat(64)}" }\n`;
    assert.equal(parsePaws(text).spec.environments?.['a']?.image, 'localhost:5000/app:1.2');
  });
});

describe('release timeout rule', () => {
  it('checks release.timeout and release.rollback.timeout, at the value', () => {
    const text = `${HEAD}environments:\n  staging:\n    release:\n      timeout: 3x\n      rollback: { timeout: 1.5h }\n`;
    const found = issues(text);
    assert.deepEqual(
      found.map(([line, column]) => [line, column]),
      [
        [8, 16],
        [9, 28],
      ],
    );
    assert.match(found[0]![2], /^Invalid release timeout "3x": use a number and a unit, like 72h or 7d/);
  });

  it('accepts the TTL syntax', () => {
    assert.equal(parsePaws(`${HEAD}environments:\n  staging: { release: { timeout: 1d12h, rollback: { timeout: 30m } } }\n`).spec.environments?.['staging']?.release?.timeout, '1d12h');
  });
});

describe('required checks rule', () => {
  it("refuses idp/policy, idp's own status, in release and rollback requiredChecks", () => {
    const text = `${HEAD}environments:\n  production:\n    release:\n      requiredChecks: [ci/build, idp/policy]\n      rollback: { requiredChecks: [idp/policy] }\n`;
    const found = issues(text);
    assert.deepEqual(found.map(([line]) => line), [8, 9]);
    assert.match(found[0]![2], /idp\/policy is the status idp itself publishes.*circular/);
  });
});

describe('deploy rules', () => {
  it('needs a path with {env} for kustomize and helm-values', () => {
    assert.deepEqual(issues(`${HEAD}deploy: { format: kustomize }\n`), [
      [5, 9, 'deploy.format kustomize needs a path to the file for each environment, like path: apps/checkout/{env}'],
    ]);
    assert.deepEqual(issues(`${HEAD}deploy:\n  format: helm-values\n  path: deploy/staging\n`), [
      [7, 9, 'deploy.path "deploy/staging" must contain {env}, so each environment gets its own file, like apps/checkout/{env}'],
    ]);
  });

  it('refuses repo and path for format paws, saying why', () => {
    const found = issues(`${HEAD}deploy:\n  format: paws\n  repo: github.com/acme/deployments\n  path: x/{env}\n`);
    assert.deepEqual(
      found.map(([line, column]) => [line, column]),
      [
        [7, 3],
        [8, 3],
      ],
    );
    assert.equal(
      found[0]![2],
      'deploy.repo does not apply to format paws: the released image is written into this paws.yaml (environments.<env>.image); remove repo, or choose format kustomize or helm-values',
    );
  });

  it('requires deploy.container to name a container', () => {
    assert.deepEqual(issues(`${HEAD}deploy: { format: paws, container: api }\n`), [
      [5, 36, 'deploy.container "api" is not one of the containers (web, worker); name the container whose image is released'],
    ]);
    assert.equal(parsePaws(`${HEAD}deploy: { format: paws, container: worker }\n`).spec.deploy?.container, 'worker');
  });

  it('accepts a complete kustomize deploy', () => {
    assert.deepEqual(deployIssues({ format: 'kustomize', repo: 'github.com/acme/deployments', path: 'apps/checkout/{env}', container: 'web' }, ['web']), []);
  });

  it('leaves deploy alone when the spec has none', () => {
    assert.deepEqual(environmentIssues({ environments: { a: {} } }), []);
  });
});
