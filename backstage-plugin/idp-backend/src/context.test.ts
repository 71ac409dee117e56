/**
 * Context from the catalog (POST /api/idp/context/resolve) in a real Backstage backend with the real catalog plugin
 * reading entity files from a temp dir: annotations, the idp.context rules of app-config, candidates; and the
 * the shape of its answers.
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import idpPlugin from './index';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });

const component = (name: string, owner: string, annotations: Record<string, string> = {}) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: ${name}, annotations: ${JSON.stringify(annotations)} }\nspec: { type: service, lifecycle: production, owner: ${owner} }`;

type Backend = { server: Parameters<typeof request>[0]; stop: () => Promise<void> };

describe('context from the catalog', () => {
  let dir: string;
  let bare: string;
  let catalogFile: string;
  const backends: Backend[] = [];

  /** A backend over the same catalog files, with `idp` config added (e.g. context rules); ready once the catalog has read them. */
  async function start(idp: Record<string, unknown> = {}): Promise<Backend> {
    const backend = await startTestBackend({
      features: [
        idpPlugin,
        catalogPlugin,
        mockServices.rootConfig.factory({
          data: {
            // The catalog is read as the caller; permissions stay off here because backend-test-utils' mock auth gives a
            // token on behalf of a user no actor, which the permission backend refuses for conditional (catalog) checks.
            // The permission checks on the resolved entity are tested through the real embedded Backstage (cli e2e).
            permission: { enabled: false },
            catalog: { rules: [{ allow: ['Component', 'Group', 'User'] }], locations: [{ type: 'file', target: catalogFile }] },
            // Nothing listens here: no request below gets as far as Temporal.
            idp: { temporal: { address: '127.0.0.1:1' }, repoRoots: [dir], ...idp },
          },
        }),
      ],
    });
    const b = { server: backend.server, stop: () => backend.stop() };
    backends.push(b);
    // The catalog reads its locations after start and has no "done" event: ask it (as a service) until the last entity is there.
    for (;;) {
      const r = await request(b.server).get('/api/catalog/entities/by-name/component/default/twin-b').set('authorization', mockCredentials.service.header());
      if (r.status === 200) return b;
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  const resolveAs = (b: Backend, body: object, user = 'user:default/alice') =>
    request(b.server).post('/api/idp/context/resolve').set('authorization', mockCredentials.user.header(user)).send(body);

  let plain: Backend;
  let withRule: Backend;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-context-'));
    bare = join(dir, 'shop.git');
    const work = join(dir, 'shop');
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
    git(dir, 'clone', '--quiet', bare, work);
    // Its paws.yaml says "checkout"; the catalog knows the repository as component:default/shop.
    writeFileSync(join(work, 'paws.yaml'), readFileSync(resolve(__dirname, '../../../templates/checkout/paws.yaml')));
    git(work, 'add', 'paws.yaml');
    git(work, 'commit', '--quiet', '-m', 'init');
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    catalogFile = join(dir, 'catalog.yaml');
    writeFileSync(
      catalogFile,
      [
        component('checkout', 'group:default/team-payments', { 'github.com/project-slug': 'acme/checkout' }),
        component('shop', 'group:default/team-payments', { 'backstage.io/source-location': `url:file://${bare}/` }),
        component('mono', 'group:default/team-platform', { 'backstage.io/source-location': 'url:https://github.com/acme/mono/tree/main/' }),
        component('cart', 'group:default/team-platform', { 'backstage.io/source-location': 'url:https://github.com/acme/mono/tree/main/services/cart/' }),
        component('payments', 'group:default/team-payments'),
        component('twin-a', 'group:default/team-platform', { 'github.com/project-slug': 'acme/twins' }),
        component('twin-b', 'group:default/team-platform', { 'github.com/project-slug': 'acme/twins' }),
        'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-payments }\nspec: { type: team, children: [] }',
        'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-platform }\nspec: { type: team, children: [] }',
        'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: alice }\nspec: { memberOf: [team-payments] }',
        'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: carol }\nspec: { memberOf: [] }',
      ].join('\n---\n'),
    );
    plain = await start();
    // The same catalog, and one rule more: the payments folder of the monorepo is component:default/payments.
    withRule = await start({ context: { rules: [{ repo: 'git@github.com:acme/mono.git', path: 'services/payments/**', entity: 'component:default/payments' }] } });
  });

  afterAll(async () => {
    for (const b of backends) await b.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves a working copy with a GitHub remote through github.com/project-slug, however the remote is spelled', async () => {
    for (const url of ['git@github.com:acme/checkout.git', 'https://github.com/Acme/checkout/', 'ssh://git@github.com/acme/checkout.git', 'https://github.com/acme/checkout.git']) {
      const r = await resolveAs(plain, { remotes: [{ name: 'origin', url }], path: '', paws: { path: 'paws.yaml', name: 'checkout' } });
      expect([url, r.status]).toEqual([url, 200]);
      expect(r.body.status).toBe('matched');
      expect(r.body.entity).toMatchObject({ entityRef: 'component:default/checkout', owner: 'group:default/team-payments', via: 'annotation' });
      expect(r.body.entity.why).toMatch(/github\.com\/project-slug acme\/checkout is the origin remote/);
    }
  });

  it('finds the local forge repository by its backstage.io/source-location file URL', async () => {
    const r = await resolveAs(plain, { remotes: [{ name: 'upstream', url: 'https://github.com/someone/else.git' }, { name: 'origin', url: bare }], paws: { path: 'paws.yaml', name: 'checkout' } });
    expect(r.body).toMatchObject({ status: 'matched', entity: { entityRef: 'component:default/shop' } });
    expect(r.body.entity.why).toContain(`url:file://${bare}/`);
  });

  it('prefers the source-location of the deepest folder that contains the working directory', async () => {
    const r = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/mono.git' }], path: 'services/cart/src' });
    expect(r.body.entity).toMatchObject({ entityRef: 'component:default/cart' });
    const root = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/mono.git' }], path: 'docs' });
    expect(root.body.entity).toMatchObject({ entityRef: 'component:default/mono' });
  });

  it('a monorepo rule in app-config changes the answer, for the very same request', async () => {
    const ask = { remotes: [{ name: 'origin', url: 'https://github.com/acme/mono' }], path: 'services/payments/src', paws: { path: 'services/payments/paws.yaml', name: 'payments-api' } };
    const before = await resolveAs(plain, ask);
    expect(before.body.entity).toMatchObject({ entityRef: 'component:default/mono', via: 'annotation' });
    const after = await resolveAs(withRule, ask);
    expect(after.body).toMatchObject({ status: 'matched', entity: { entityRef: 'component:default/payments', owner: 'group:default/team-payments', via: 'rule' } });
    expect(after.body.entity.why).toMatch(/idp\.context\.rules\[0\].*services\/payments\/\*\*/);
    // Outside the rule's folder, the annotations still decide.
    const cart = await resolveAs(withRule, { ...ask, path: 'services/cart', paws: undefined });
    expect(cart.body.entity).toMatchObject({ entityRef: 'component:default/cart' });
  });

  it('answers the candidates when two entities match equally, unless paws.yaml names one of them', async () => {
    const r = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/twins.git' }], paws: { path: 'paws.yaml', name: 'twins' } });
    expect(r.body.status).toBe('ambiguous');
    expect(r.body.entity).toBeUndefined();
    expect(r.body.candidates.map((c: { entityRef: string }) => c.entityRef).sort()).toEqual(['component:default/twin-a', 'component:default/twin-b']);
    const named = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/twins.git' }], paws: { path: 'paws.yaml', name: 'twin-b' } });
    expect(named.body).toMatchObject({ status: 'matched', entity: { entityRef: 'component:default/twin-b' } });
    expect(named.body.entity.why).toMatch(/metadata\.name is twin-b/);
  });

  it('says what it looked for when nothing matches', async () => {
    const r = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/unknown.git' }], paws: { path: 'paws.yaml', name: 'unknown' } });
    expect(r.body).toMatchObject({ status: 'not_found', candidates: [] });
    expect(r.body.searched.join('\n')).toMatch(/github\.com\/project-slug: acme\/unknown/);
  });

  it('is authenticated like every route, and refuses bad input', async () => {
    const none = await request(plain.server).post('/api/idp/context/resolve').set('authorization', mockCredentials.none.header()).send({ remotes: [] });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/idp login/);
    const bad = await resolveAs(plain, { remotes: [{ name: 'origin', url: 'git@github.com:acme/checkout.git' }], path: '../../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/".." segment/);
    expect((await resolveAs(plain, { remotes: 'origin' })).status).toBe(400);
  });
});
