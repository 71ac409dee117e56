/**
 * The new-service golden path, end to end on the embedded stack (the real Scaffolder, catalog, Temporal, worker and
 * local forge): a task started with alice's token creates a bare repository under IDP_HOME from the template's
 * skeleton, registers its Component through the stock catalog:register (reading the local forge through its
 * UrlReader), and `idp env clone` in a clone of it opens a PR there. A taken name, a bad name and a dry-run write nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { parsePaws } from '@idp/core';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';
import { runTemplate } from '../testing/tasks.js';

const idpBin = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));
const templateDir = fileURLToPath(new URL('../../../../templates/new-service/', import.meta.url));
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv });
const OWNER = 'group:default/team-payments';

/** The template's files as a dry-run request carries them (paths relative to template.yaml). */
function skeletonContents() {
  return readdirSync(join(templateDir, 'skeleton'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path: relative(templateDir, path), base64Content: readFileSync(path).toString('base64') };
    });
}


describe('the new-service template on the embedded stack', () => {
  let stack: EmbeddedStack;
  let alice: string;
  let reposDir: string;

  const api = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
    const res = await fetch(`${stack.baseUrl}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${init.token ?? alice}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  /** Starts a task from the catalog's template as alice and follows it to its end. */
  const runTask = (values: Record<string, unknown>) => runTemplate(stack.baseUrl, alice, 'new-service', values);

  const entity = async (name: string) => api(`/api/catalog/entities/by-name/component/default/${name}`);

  const idp = (cwd: string, ...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: alice, NO_COLOR: '1', HOME: stack.home, XDG_CONFIG_HOME: join(stack.home, 'config') };
      delete env.IDP_API_TOKEN;
      execFile(process.execPath, [idpBin, ...args], { cwd, env, encoding: 'utf8' }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
      );
    });

  const repos = () => (existsSync(reposDir) ? readdirSync(reposDir).sort() : []);
  const refs = (bare: string) => git(bare, 'for-each-ref', '--format=%(refname) %(objectname)');

  before(async () => {
    stack = await startEmbedded();
    alice = await stack.tokenFor('alice');
    reposDir = join(realpathSync(stack.home), 'repos');
    // The stack waits for the demo's entities; the templates' location is read in the same pass or the next.
    await eventually(async () => (await api('/api/catalog/entities/by-name/template/default/new-service')).status === 200, 30_000, 'template:default/new-service in the catalog');
  });
  after(async () => {
    await stack?.stop();
  });

  it("creates the repository under IDP_HOME as alice, registers its Component, and idp env clone opens a PR in a clone of it", async () => {
    const task = await runTask({ name: 'payments', owner: OWNER, description: 'Takes payments', forge: 'local' });
    assert.equal(task.status, 'completed', task.log);
    const bare = join(reposDir, 'payments.git');
    const remote = pathToFileURL(bare).href;
    assert.equal(task.output.repoUrl, remote);
    assert.equal(task.output.entityRef, 'component:default/payments');
    assert.deepEqual(
      (task.output.links as { title: string; url?: string; entityRef?: string }[]).map((l) => l.url ?? l.entityRef),
      [remote, 'component:default/payments'],
    );

    // The repository: one commit on main, by alice, with the skeleton rendered for payments and its owner.
    assert.deepEqual(repos(), ['payments.git'], 'only the new repository (no leftovers of its making)');
    assert.equal(git(bare, 'symbolic-ref', 'HEAD').trim(), 'refs/heads/main');
    assert.equal(git(bare, 'log', '--format=%an <%ae>', 'main'), 'Alice <alice@example.com>\n');
    assert.deepEqual(git(bare, 'ls-tree', '--name-only', 'main').trim().split('\n'), ['README.md', 'catalog-info.yaml', 'paws.yaml']);
    const paws = parsePaws(git(bare, 'show', 'main:paws.yaml')).spec;
    assert.deepEqual([paws.metadata.name, paws.metadata.owner], ['payments', 'team-payments']);
    assert.deepEqual(Object.keys(paws.environments ?? {}), ['staging', 'production']);
    assert.deepEqual(paws.environments?.production?.release?.approvers, ['team-payments']);
    const info = parse(git(bare, 'show', 'main:catalog-info.yaml')) as { metadata: { name: string; description: string; annotations: Record<string, string> }; spec: { owner: string } };
    assert.equal(info.spec.owner, OWNER);
    assert.equal(info.metadata.description, 'Takes payments');
    assert.equal(info.metadata.annotations['backstage.io/source-location'], `url:${remote}/`);

    // In the catalog, with its owner, read from the repository (the location catalog:register added).
    const registered = await eventually(async () => {
      const r = await entity('payments');
      return r.status === 200 && r.body;
    }, 30_000, 'component:default/payments in the catalog');
    const annotations = (registered.metadata as { annotations: Record<string, string> }).annotations;
    assert.equal((registered.spec as { owner: string }).owner, OWNER);
    assert.equal(annotations['backstage.io/managed-by-location'], `url:${remote}/catalog-info.yaml`);

    // A clone of it is that entity for idp, and an environment change there is a PR on the new repository.
    const clone = join(stack.home, 'payments');
    git(stack.home, 'clone', '--quiet', remote, clone);
    const shown = await idp(clone, 'info');
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /Catalog\s+component:default\/payments, owner group:default\/team-payments/);
    const cloned = await idp(clone, 'env', 'clone', 'staging', 'preview-1');
    assert.equal(cloned.code, 0, `${cloned.out}\n${cloned.err}`);
    assert.match(cloned.out, /pulls\/1\b/);
    const pull = await api(`/api/idp/pulls/1?repo=${encodeURIComponent(bare)}`);
    assert.equal(pull.status, 200, JSON.stringify(pull.body));
    assert.equal(pull.body.state, 'open');
    assert.match(git(bare, 'show', `${String(pull.body.head)}:paws.yaml`), /^ {2}preview-1:$/m);
  });

  it('with only a name (idp create new-service --set name=ledger): the local forge, owned by the requester\'s team', async () => {
    const task = await runTask({ name: 'ledger' });
    assert.equal(task.status, 'completed', task.log);
    const bare = join(reposDir, 'ledger.git');
    assert.equal(task.output.repoUrl, pathToFileURL(bare).href);
    assert.equal(parsePaws(git(bare, 'show', 'main:paws.yaml')).spec.metadata.owner, 'team-payments');
    const registered = await eventually(async () => {
      const r = await entity('ledger');
      return r.status === 200 && r.body;
    }, 30_000, 'component:default/ledger in the catalog');
    assert.equal((registered.spec as { owner: string }).owner, OWNER);
    assert.equal((registered.metadata as { description: string }).description, 'The ledger service');
  });

  it('refuses a name that is taken: the publish step fails with "already exists", nothing changes', async () => {
    const bare = join(reposDir, 'payments.git');
    const before = [repos(), refs(bare), readFileSync(join(bare, 'config'), 'utf8')];
    const task = await runTask({ name: 'payments', owner: 'group:default/team-search', forge: 'local' });
    assert.equal(task.status, 'failed', task.log);
    assert.match(task.log, /The repository payments already exists on the local forge/);
    assert.deepEqual([repos(), refs(bare), readFileSync(join(bare, 'config'), 'utf8')], before);
    assert.equal(((await entity('payments')).body.spec as { owner: string }).owner, OWNER, 'the entity is still the first task\'s');
  });

  it('the Scaffolder lists publish:idp-local with its examples, beside the stock publish:github and publish:gitlab', async () => {
    const r = await api('/api/scaffolder/v2/actions');
    assert.equal(r.status, 200);
    const actions = r.body as unknown as { id: string; examples?: unknown[]; schema?: { input?: { required?: string[] } } }[];
    const local = actions.find((a) => a.id === 'publish:idp-local');
    assert.ok(local, actions.map((a) => a.id).join(', '));
    assert.equal(local.examples?.length, 2);
    assert.deepEqual(local.schema?.input?.required, ['name']);
    for (const id of ['publish:github', 'publish:gitlab', 'catalog:register', 'fetch:template']) assert.ok(actions.some((a) => a.id === id), id);
  });

  it("rejects a bad name with the Scaffolder's own validation error before anything runs", async () => {
    const before = repos();
    const r = await api('/api/scaffolder/v2/tasks', { method: 'POST', body: { templateRef: 'template:default/new-service', values: { name: 'Bad_Name', owner: OWNER } } });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    const errors = r.body.errors as { property: string; message: string }[];
    assert.ok(errors.some((e) => e.property === 'instance.name' && /does not match pattern/.test(e.message)), JSON.stringify(errors));
    // GitHub (or GitLab) needs the repository's place: the template's schema (dependencies) says so, not a step.
    const noRepo = await api('/api/scaffolder/v2/tasks', { method: 'POST', body: { templateRef: 'template:default/new-service', values: { name: 'elsewhere', forge: 'github' } } });
    assert.equal(noRepo.status, 400, JSON.stringify(noRepo.body));
    assert.ok((noRepo.body.errors as { message: string }[]).some((e) => /requires property "repoUrl"/.test(e.message)), JSON.stringify(noRepo.body));
    assert.deepEqual(repos(), before);
  });

  it('dry-run renders the skeleton and reports the repository it would create, writing none and registering nothing', async () => {
    const before = repos();
    const template = parse(readFileSync(join(templateDir, 'template.yaml'), 'utf8')) as Record<string, unknown>;
    const r = await api('/api/scaffolder/v2/dry-run', { method: 'POST', body: { template, values: { name: 'dry-service', owner: OWNER }, directoryContents: skeletonContents() } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const log = (r.body.log as { body: { message: string } }[]).map((l) => l.body.message).join('\n');
    const remote = pathToFileURL(join(reposDir, 'dry-service.git')).href;
    assert.match(log, /Finished step Publish to the local forge/);
    assert.match(log, /Skipping because catalog:register does not support dry-run/);
    assert.equal((r.body.output as { repoUrl: string }).repoUrl, remote, JSON.stringify(r.body.output));
    const files = r.body.directoryContents as { path: string; base64Content: string }[];
    const pawsFile = files.find((f) => f.path === 'paws.yaml');
    assert.ok(pawsFile, JSON.stringify(files.map((f) => f.path)));
    assert.equal(parsePaws(Buffer.from(pawsFile.base64Content, 'base64').toString('utf8')).spec.metadata.name, 'dry-service');
    assert.deepEqual(repos(), before);
    assert.equal((await entity('dry-service')).status, 404);
  });

  it('dry-run with GitHub chosen: the skeleton names the GitHub project, the local forge steps are skipped (GitHub itself is not here)', async () => {
    const r = await api('/api/scaffolder/v2/dry-run', {
      method: 'POST',
      body: { template: parse(readFileSync(join(templateDir, 'template.yaml'), 'utf8')), values: { name: 'gh-service', owner: OWNER, forge: 'github', repoUrl: 'github.com?owner=acme&repo=gh-service' }, directoryContents: skeletonContents() },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const log = (r.body.log as { body: { message: string } }[]).map((l) => l.body.message).join('\n');
    assert.match(log, /Skipping step publish-local because its if condition was false/);
    assert.match(log, /Skipping step register-local because its if condition was false/);
    // Chosen by its `if:`, and skipped only because Backstage's publish:github has no dry-run (no GitHub is called).
    assert.doesNotMatch(log, /Skipping step publish-github because/);
    assert.match(log, /Skipping because publish:github does not support dry-run/);
    const files = r.body.directoryContents as { path: string; base64Content: string }[];
    const info = parse(Buffer.from(files.find((f) => f.path === 'catalog-info.yaml')!.base64Content, 'base64').toString('utf8')) as { metadata: { annotations: Record<string, string> } };
    assert.deepEqual(info.metadata.annotations, { 'github.com/project-slug': 'acme/gh-service' });
    assert.equal(existsSync(join(reposDir, 'gh-service.git')), false);
  });
});
