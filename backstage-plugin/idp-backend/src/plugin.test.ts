/**
 * The idp plugin in a real Backstage backend (startTestBackend with the real permission and catalog plugins and
 * idp's policy): who may call, and that a refused change writes nothing. Temporal is never reached here: every
 * request below is answered (or refused) before a workflow would start.
 */
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import idpPlugin, { idpPermissionPolicyModule } from './index';

/** A policy that grants nothing: every idp route, reads included, must refuse a signed-in user with 403. */
const denyAll = createBackendModule({
  pluginId: 'permission',
  moduleId: 'deny-all',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint },
      async init({ policy }) {
        policy.setPolicy({ handle: async () => ({ result: AuthorizeResult.DENY }) });
      },
    });
  },
});

async function checkoutRepo(dir: string): Promise<string> {
  const bare = join(dir, 'checkout.git');
  const work = join(dir, 'checkout');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(dir, 'clone', '--quiet', bare, work);
  writeFileSync(join(work, 'paws.yaml'), readFileSync(resolve(__dirname, '../../../templates/checkout/paws.yaml')));
  git(work, 'add', 'paws.yaml');
  git(work, 'commit', '--quiet', '-m', 'init');
  git(work, 'push', '--quiet', 'origin', 'HEAD:main');
  return bare;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });

describe('idp backend plugin', () => {
  let dir: string;
  let bare: string;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    // The plugin serves GitHub's webhooks when a secret is configured (read from the environment, as idp-server reads it).
    process.env.IDP_GITHUB_WEBHOOK_SECRET = 'plugin-test-secret';
    dir = mkdtempSync(join(tmpdir(), 'idp-plugin-'));
    bare = await checkoutRepo(dir);
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
    delete process.env.IDP_GITHUB_WEBHOOK_SECRET;
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes no webhook delivery without the forge\'s signature (401), and acts on nothing', async () => {
    const before = git(bare, 'for-each-ref');
    const body = JSON.stringify({ action: 'closed', number: 1, pull_request: { number: 1, merged: true } });
    const unsigned = await request(server).post('/api/idp/webhooks/github').set('content-type', 'application/json').set('x-github-event', 'pull_request').send(body);
    expect(unsigned.status).toBe(401);
    const forged = await request(server)
      .post('/api/idp/webhooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'pull_request')
      .set('x-hub-signature-256', `sha256=${'0'.repeat(64)}`)
      .send(body);
    expect(forged.status).toBe(401);
    expect(git(bare, 'for-each-ref')).toBe(before);
    // Signed with the secret, it reaches the receiver under /api/idp (a ping: answered, nothing to act on).
    const ping = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const signed = await request(server)
      .post('/api/idp/webhooks/github')
      .set('content-type', 'application/json')
      .set('x-github-event', 'ping')
      .set('x-github-delivery', 'ping-1')
      .set('x-hub-signature-256', `sha256=${createHmac('sha256', 'plugin-test-secret').update(ping).digest('hex')}`)
      .send(ping);
    expect([signed.status, signed.body]).toEqual([200, { ignored: true }]);
  });

  it('answers /health to anyone, and says what serves it', async () => {
    const r = await request(server).get('/api/idp/health').expect(200);
    expect(r.body.servedBy.name).toBe('Backstage');
  });

  it('refuses every other route without a token (401), telling how to sign in', async () => {
    for (const [method, path] of [['get', `/api/idp/environments?repo=${bare}&path=paws.yaml`], ['post', '/api/idp/environments/staging/clone'], ['post', '/api/idp/releases'], ['post', '/api/idp/pulls/1/reviews'], ['post', '/api/idp/pulls/1/merge'], ['get', '/api/idp/whoami'], ['get', `/api/idp/environments/staging/secrets?repo=${bare}&path=paws.yaml`], ['post', '/api/idp/environments/staging/secrets/STRIPE_KEY'], ['delete', `/api/idp/environments/staging/secrets/STRIPE_KEY?repo=${bare}&path=paws.yaml`]] as const) {
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

describe('idp backend plugin under a policy that grants nothing', () => {
  let dir: string;
  let bare: string;
  let server: Awaited<ReturnType<typeof startTestBackend>>['server'];
  let stop: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-plugin-deny-'));
    bare = await checkoutRepo(dir);
    const backend = await startTestBackend({
      features: [
        idpPlugin,
        permissionPlugin,
        denyAll,
        catalogPlugin,
        // Backstage's real auth: a user's token as the guest provider issues it, and the on-behalf-of tokens plugins
        // exchange with the permission backend (the mocks cannot express those).
        authPlugin,
        guestProvider,
        authServiceFactory,
        httpAuthServiceFactory,
        userInfoServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            app: { baseUrl: 'http://127.0.0.1' },
            auth: { providers: { guest: { dangerouslyAllowOutsideDevelopment: true } } },
            idp: { temporal: { address: '127.0.0.1:1' }, repoRoots: [dir] },
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

  it('refuses every route to a signed-in user without permission (403), writing nothing', async () => {
    const before = git(bare, 'for-each-ref');
    const signIn = await request(server).get('/api/auth/guest/refresh').set('x-requested-with', 'XMLHttpRequest');
    const token = signIn.body.backstageIdentity.token as string;
    const q = `repo=${encodeURIComponent(bare)}&path=paws.yaml`;
    const body = { repo: bare, path: 'paws.yaml' };
    const routes: [method: 'get' | 'post' | 'delete', path: string, body?: object][] = [
      ['get', `/api/idp/component?${q}`],
      ['get', `/api/idp/environments?${q}`],
      ['get', `/api/idp/releases?${q}`],
      ['get', `/api/idp/activity?${q}`],
      ['get', `/api/idp/releases/staging/1?${q}`],
      ['get', `/api/idp/pulls?${q}`],
      ['get', `/api/idp/pulls/1?${q}`],
      ['get', `/api/idp/pulls/1/diff?${q}`],
      ['post', '/api/idp/environments/staging/clone', { ...body, target: 'preview-1' }],
      ['post', '/api/idp/environments', { ...body, name: 'preview-2' }],
      ['post', '/api/idp/environments/staging/destroy', { ...body, confirm: 'staging' }],
      ['post', '/api/idp/environments/staging/extend', { ...body, ttl: '24h' }],
      ['get', `/api/idp/environments/staging/variables?${q}`],
      ['post', '/api/idp/environments/staging/variables', { ...body, set: { LOG_LEVEL: 'warn' } }],
      ['get', `/api/idp/environments/staging/secrets?${q}`],
      ['post', '/api/idp/environments/staging/secrets/STRIPE_KEY', { ...body, value: 'never-stored' }],
      ['delete', `/api/idp/environments/staging/secrets/STRIPE_KEY?${q}`],
      ['post', '/api/idp/releases', { ...body, env: 'staging', image: 'ghcr.io/acme/checkout:2.0.0' }],
      ['post', '/api/idp/releases/promote', { ...body, from: 'staging', to: 'production' }],
      ['post', '/api/idp/releases/rollback', { ...body, env: 'staging' }],
      ['post', '/api/idp/pulls/1/reviews', { ...body, event: 'approve' }],
      ['post', '/api/idp/pulls/1/merge', body],
      ['post', '/api/idp/pulls/1/close', body],
      ['post', '/api/idp/pulls/1/checks', { ...body, name: 'ci/build', state: 'success' }],
    ];
    for (const [method, path, payload] of routes) {
      const r = await request(server)[method](path).set('authorization', `Bearer ${token}`).send(payload);
      expect([method, path, r.status, r.body?.error?.code]).toEqual([method, path, 403, 'forbidden']);
    }
    expect(git(bare, 'for-each-ref')).toBe(before);
  });
});
