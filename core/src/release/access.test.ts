import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidPawsError } from '../errors.js';
import { deployAccessExample, grantedPaths, parseDeployAccess, pathGranted } from './access.js';
import { matchesGlob, repoPathProblem } from './glob.js';

const FILE = `apiVersion: paws.dev/v1
kind: DeployAccess
grants:
  - repo: https://github.com/Acme/Checkout.git   # any spelling
    paths: [apps/checkout/**]
  - repo: github.com/acme/cart
    paths: [apps/cart/*/kustomization.yaml, "apps/cart/**/values.yaml"]
`;

describe('matchesGlob', () => {
  it('* matches within one segment, ** any number of segments (none too), the rest literally', () => {
    assert.equal(matchesGlob('apps/checkout/production/kustomization.yaml', 'apps/checkout/**'), true);
    assert.equal(matchesGlob('apps/checkout/kustomization.yaml', 'apps/checkout/**'), true);
    assert.equal(matchesGlob('apps/checkout/production/kustomization.yaml', 'apps/checkout/*'), false);
    assert.equal(matchesGlob('apps/checkout/production/kustomization.yaml', 'apps/*/production/*.yaml'), true);
    assert.equal(matchesGlob('apps/checkout/values.yaml', 'apps/**/values.yaml'), true);
    assert.equal(matchesGlob('apps/payments/production/kustomization.yaml', 'apps/checkout/**'), false);
    assert.equal(matchesGlob('apps/checkoutx/a.yaml', 'apps/checkout/**'), false);
    assert.equal(matchesGlob('apps/checkout.yaml', 'apps/checkout?yaml'), false, '? is literal');
    assert.equal(matchesGlob('production', 'prod*'), true);
    assert.equal(matchesGlob('preprod', 'prod*'), false);
  });

  it('finds paths that could leave what a glob seems to cover', () => {
    assert.match(repoPathProblem('apps/checkout/../payments/x.yaml') ?? '', /"\.\." segment/);
    assert.match(repoPathProblem('/etc/x') ?? '', /starts with/);
    assert.match(repoPathProblem('apps//x') ?? '', /empty segment/);
    assert.equal(repoPathProblem('apps/checkout/production/kustomization.yaml'), null);
  });
});

describe('deploy access', () => {
  it('grants a component the paths listed for it, matched by its identity', () => {
    const access = parseDeployAccess(FILE);
    const identity = (repo: string) => repo.replace(/^https:\/\//, '').replace(/\.git$/, '').toLowerCase();
    const globs = grantedPaths(access, 'github.com/acme/checkout', identity);
    assert.deepEqual(globs, ['apps/checkout/**']);
    assert.equal(pathGranted('apps/checkout/production/kustomization.yaml', globs), true);
    assert.equal(pathGranted('apps/payments/production/kustomization.yaml', globs), false);
    assert.equal(pathGranted('apps/checkout/../payments/production/kustomization.yaml', globs), false, '.. never matches **');
    assert.deepEqual(grantedPaths(access, 'github.com/acme/payments', identity), []);
    assert.deepEqual(grantedPaths(access, 'github.com/acme/checkout', () => null), [], 'an unresolvable grant matches nothing');
  });

  it('reports every problem at its line and column', () => {
    const bad = `apiVersion: paws.dev/v1
kind: DeployAccess
grants:
  - repo: github.com/acme/cart
    paths: [apps/../payments/**, "apps/a**"]
    branch: main
  - paths: [x]
`;
    try {
      parseDeployAccess(bad, '.idp/deploy-access.yaml in acme/deployments');
      assert.fail('expected an InvalidPawsError');
    } catch (e) {
      assert.ok(e instanceof InvalidPawsError, String(e));
      assert.deepEqual(e.issues.map((i) => [i.line, i.column]), [[5, 13], [5, 34], [6, 5], [7, 5]]);
      assert.match(e.message, /^\.idp\/deploy-access\.yaml in acme\/deployments is not valid:/);
      assert.match(e.issues[0]!.message, /"\.\." segment/);
      assert.match(e.issues[1]!.message, /\*\* must be a whole segment/);
      assert.match(e.issues[2]!.message, /unknown key "branch"/);
      assert.match(e.issues[3]!.message, /grants\.1\.repo/);
    }
    assert.throws(() => parseDeployAccess('apiVersion: paws.dev/v1\nkind: Workload\ngrants: []\n'), /kind/);
    assert.throws(() => parseDeployAccess('grants: [\n'), InvalidPawsError);
  });

  it('the example it suggests parses', () => {
    assert.deepEqual(parseDeployAccess(deployAccessExample('github.com/acme/checkout', 'apps/checkout/**')).grants, [{ repo: 'github.com/acme/checkout', paths: ['apps/checkout/**'] }]);
  });
});
