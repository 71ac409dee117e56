/**
 * The idp plugin in a real Backstage backend (startTestBackend with the real permission and catalog plugins and
 * idp's policy): who may call, and that a refused change writes nothing. Temporal is never reached here: every
 * request below is answered (or refused) before a workflow would start.
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import idpPlugin, { idpPermissionPolicyModule } from './index';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });

describe('idp backend plugin', () => {
  let dir: string;
  let bare: string;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-plugin-'));
    bare = join(dir, 'checkout.git');
    const work = join(dir, 'checkout');
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
    git(dir, 'clone', '--quiet', bare, work);
    writeFileSync(join(work, 'paws.yaml'), readFileSync(resolve(__dirname, '../../../templates/checkout/paws.yaml')));
    git(work, 'add', 'paws.yaml');
    git(work, 'commit', '--quiet', '-m', 'init');
    git(work, 'push', '--quiet', 'origin', 'HEAD:main');
    const catalogFile = join(dir, 'catalog.yaml');
    writeFileSync(
      catalogFile,
      [
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: checkout }\nspec: { type: service, lifecycle: production, owner: group:default/team-payments }',
        'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: { name: team-payments }\nspec: { type: team, children: [] }',
        'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: alice }\nspec: { memberOf: [team-payments], profile: { email: alice@example.com } }',
        'apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: { name: carol }\nspec: { memberOf: [] }',
      ].join('\n---\n'),
    );
    const backend = await startTestBackend({
      features: [
        idpPlugin,
        permissionPlugin,
        idpPermissionPolicyModule,
        catalogPlugin,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            catalog: { rules: [{ allow: ['Component', 'Group', 'User'] }], locations: [{ type: 'file', target: catalogFile }] },
            // Nothing listens here: these tests never get as far as Temporal.
            idp: { temporal: { address: '127.0.0.1:1' }, repoRoots: [dir], permissions: { ownersOnly: ['prod*'] } },
          },
        }),
      ],
    });
    server = backend.server;
    stop = () => backend.stop();
  });

  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health to anyone, and says what serves it', async () => {
    const r = await request(server).get('/api/idp/health').expect(200);
    expect(r.body.servedBy.name).toBe('Backstage');
  });

  it('refuses every other route without a token (401), telling how to sign in', async () => {
    for (const [method, path] of [['get', `/api/idp/environments?repo=${bare}&path=paws.yaml`], ['post', '/api/idp/environments/staging/clone'], ['post', '/api/idp/releases'], ['post', '/api/idp/pulls/1/reviews'], ['post', '/api/idp/pulls/1/merge'], ['get', '/api/idp/whoami']] as const) {
      const r = await request(server)[method](path).set('authorization', mockCredentials.none.header()).send({ repo: bare, path: 'paws.yaml', target: 'preview-1' });
      expect([path, r.status, r.body]).toEqual([path, 401, expect.anything()]);
      expect(r.body.error.message).toMatch(/idp login/);
    }
  });

  it('refuses a forged token (401)', async () => {
    await request(server).get(`/api/idp/environments?repo=${bare}&path=paws.yaml`).set('authorization', mockCredentials.user.invalidHeader()).expect(401);
  });

  it('reads for a signed-in user, and knows who they are', async () => {
    const r = await request(server).get('/api/idp/whoami').set('authorization', mockCredentials.user.header('user:default/alice')).set('x-idp-user', 'mallory@example.com');
    expect(r.status).toBe(200);
    expect(r.body.id).toBe('user:default/alice');
    expect(JSON.stringify(r.body)).not.toMatch(/mallory/);
  });

});
