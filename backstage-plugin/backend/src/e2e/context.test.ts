/**
 * Context from the catalog, end to end: the real `idp` CLI (IDP_TOKEN from the real auth backend) against the real
 * embedded Backstage, whose catalog holds the demo component (catalog-info.yaml with backstage.io/source-location
 * naming the demo repository) and, for these tests, two components that both claim github.com/acme/twins.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const idpBin = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv });

const twin = (name: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name}, annotations: { github.com/project-slug: acme/twins } }\nspec: { type: service, lifecycle: experimental, owner: group:default/team-search }\n`;

describe('idp info resolves the working copy in the Backstage catalog', () => {
  let stack: EmbeddedStack;
  let token: string;
  const printed: string[] = [];

  const idp = (cwd: string, ...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1' };
      delete env.IDP_API_TOKEN;
      execFile(process.execPath, [idpBin, ...args], { cwd, env, encoding: 'utf8' }, (err, out, errOut) => {
        printed.push(out, errOut);
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut });
      });
    });

  /** A clone of the demo whose origin is `remote`: a working copy of a repository the catalog may or may not know. */
  const cloneAs = (name: string, remote: string) => {
    const dir = join(stack.home, name);
    git(stack.home, 'clone', '--quiet', stack.demo.bare, dir);
    git(dir, 'remote', 'set-url', 'origin', remote);
    return dir;
  };

  before(async () => {
    stack = await startEmbedded({ ownersOnly: ['prod*'], catalog: () => [twin('twin-a'), twin('twin-b')].join('---\n') });
    token = await stack.tokenFor('alice');
    // The stack waits for the demo's entities only; these come from the extra location, read in the same pass or the next.
    await eventually(async () => {
      const r = await fetch(`${stack.baseUrl}/api/catalog/entities/by-name/component/default/twin-b`, { headers: { authorization: `Bearer ${token}` } });
      await r.body?.cancel();
      return r.ok;
    }, 30_000, 'the catalog to read the extra location');
  });
  after(async () => {
    await stack?.stop();
  });

  it('shows the demo component, its owner and why, in the demo working copy', async () => {
    const r = await idp(stack.demo.workdir, 'info');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Catalog\s+component:default\/checkout, owner group:default\/team-payments/);
    assert.ok(r.out.includes(`backstage.io/source-location url:file://${stack.demo.bare}/ is the origin remote`), r.out);
    const json = await idp(stack.demo.workdir, 'info', '--json');
    assert.equal(json.code, 0, json.err);
    const info = JSON.parse(json.out) as { catalog: { status: string; entity: { entityRef: string; via: string } } };
    assert.deepEqual([info.catalog.status, info.catalog.entity.entityRef, info.catalog.entity.via], ['matched', 'component:default/checkout', 'annotation']);
  });

  it('idp open: the demo component\'s page in this Backstage (the app URL /health reports), from the catalog', async () => {
    const r = await idp(stack.demo.workdir, 'open', 'staging', '--print');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${stack.baseUrl}/catalog/default/component/checkout/environments?env=staging\n`);
    const health = (await (await fetch(`${stack.apiUrl}/health`)).json()) as { servedBy: { appUrl?: string } };
    assert.equal(health.servedBy.appUrl, stack.baseUrl);
  });

  it('says when the repository is not in the catalog and how to register it, and still works from paws.yaml', async () => {
    const dir = cloneAs('unknown', 'git@github.com:acme/unknown.git');
    const r = await idp(dir, 'info');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Catalog\s+not in the catalog/);
    assert.match(r.out, /catalog-info\.yaml/);
    assert.ok(r.out.includes(`${stack.baseUrl}/catalog-import`), r.out);
    assert.match(r.out, /Component\s+checkout\s+\(from \.\/paws\.yaml metadata\.name\)/);
  });

  it('lists the candidates and exits 2 when two entities claim the repository', async () => {
    const dir = cloneAs('twins', 'git@github.com:acme/twins.git');
    const r = await idp(dir, 'info');
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.out, /Catalog\s+2 entities match/);
    assert.match(r.err, /Several catalog entities match this working copy/);
    assert.match(r.err, /component:default\/twin-a \(owner group:default\/team-search\): its github\.com\/project-slug acme\/twins is the origin remote/);
    assert.match(r.err, /component:default\/twin-b/);
  });

  it('checks permissions on the entity the catalog resolves, even when paws.yaml names the component otherwise', async () => {
    // paws.yaml now says checkout-svc: a guess from that name would find no entity, hence no owner, and refuse alice.
    const work = join(stack.home, 'rename');
    git(stack.home, 'clone', '--quiet', stack.demo.bare, work);
    const paws = join(work, 'paws.yaml');
    writeFileSync(paws, readFileSync(paws, 'utf8').replace(/^(\s*name:\s*)checkout\s*$/m, '$1checkout-svc'));
    assert.match(readFileSync(paws, 'utf8'), /name: checkout-svc/);
    git(work, 'commit', '--quiet', '-am', 'rename');
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    const release = async (user: string) => {
      const res = await fetch(`${stack.apiUrl}/releases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await stack.tokenFor(user)}` },
        body: JSON.stringify({ repo: stack.demo.bare, path: 'paws.yaml', env: 'production', image: 'ghcr.io/acme/checkout:2.0.0' }),
      });
      return { status: res.status, body: (await res.json()) as { error?: { message: string } } };
    };
    const carol = await release('carol');
    assert.equal(carol.status, 403, JSON.stringify(carol.body));
    assert.match(carol.body.error!.message, /component:default\/checkout in production/);
    const alice = await release('alice');
    assert.equal(alice.status, 202, JSON.stringify(alice.body));
  });

  it('never prints the token', () => {
    for (const text of [...printed, stack.output()]) assert.ok(!text.includes(token));
  });
});
