/**
 * The Vault fake's description is Vault's own (regenerated from vault-client-go and unchanged), its validator cannot
 * silently pass (a request or response outside the document is reported, naming the field), and the fake keeps KV
 * v2's semantics — every exchange below checked against the document.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ENVELOPE, ERROR_BODY, TOLERANCES, VAULT_DOCS, VaultOpenApi } from './vault-openapi.js';
import { startVaultFake, type VaultFake } from './vault-fake.js';

const api = VaultOpenApi.get();
const MOUNTS = ['secret', 'team/kv'];
const SUBSET = fileURLToPath(new URL('../../src/secrets/vault-kv2.openapi.json', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../../scripts/vault-openapi-subset.mjs', import.meta.url));

function op(method: string, path: string) {
  const m = api.match(method, path, MOUNTS);
  assert.ok(m, `${method} ${path} is documented`);
  return m;
}

const envelope = (data: unknown) => ({ request_id: crypto.randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings: null, auth: null, mount_type: 'kv' });
const T = '2026-11-26T21:00:00.123456789Z';

describe('Vault KV v2 description (vault-client-go openapi.json subset)', () => {
  it('records where it came from', () => {
    assert.equal(api.source.module, 'github.com/hashicorp/vault-client-go@v0.4.3');
    assert.match(api.source.sum!, /^h1:/);
    assert.equal(api.vaultVersion, '1.15.0');
    // The envelope and error body are written down once, with Vault's pages.
    assert.ok(ENVELOPE.required && ERROR_BODY.required);
    assert.match(VAULT_DOCS.operations, /^https:\/\/developer\.hashicorp\.com\/vault\/api-docs#api-operations$/);
  });

  it('is what the script extracts from the Go module today', (t) => {
    if (spawnSync('go', ['version']).status !== 0) return t.skip('go is not installed: the regeneration check needs `go mod download`');
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (run.status === 3) return t.skip(`the module is not available here: ${run.stderr.trim()}`);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, readFileSync(SUBSET, 'utf8'), 'providers/src/secrets/vault-kv2.openapi.json differs from the module: regenerate it with the script');
  });

  it('knows the documented operations, on mounts with "/" too, and no others', () => {
    assert.deepEqual(op('POST', 'secret/data/idp/checkout/staging/STRIPE_KEY'), {
      operationId: 'kv-v2-write', method: 'POST', template: '/{kv_v2_mount_path}/data/{path}', mount: 'secret', path: 'idp/checkout/staging/STRIPE_KEY',
    });
    assert.equal(op('GET', 'team/kv/metadata/idp/a/b/K').operationId, 'kv-v2-read-metadata');
    assert.equal(op('GET', 'team/kv/metadata/idp/a/b/K').mount, 'team/kv');
    assert.equal(op('GET', 'secret/metadata/idp/a/').operationId, 'kv-v2-list');
    assert.equal(op('GET', 'secret/metadata/idp/a/').path, 'idp/a');
    assert.equal(op('POST', 'secret/destroy/x').operationId, 'kv-v2-destroy-versions');
    assert.equal(op('GET', 'other/data/x').mount, 'other'); // an unknown mount: its first segment
    assert.equal(api.match('PATCH', 'secret/data/x', MOUNTS), null);
    assert.equal(api.match('PUT', 'secret/metadata/x', MOUNTS), null);
    assert.equal(api.match('GET', 'secret/nonsense/x', MOUNTS), null);
  });

  it('rejects an undeclared query parameter, a missing required one and a wrong value', () => {
    assert.deepEqual(api.checkRequest(op('GET', 'secret/metadata/a/'), new URLSearchParams('list=true'), undefined), []);
    assert.deepEqual(api.checkRequest(op('GET', 'secret/metadata/a/'), new URLSearchParams(''), undefined), ['query parameter list is required']);
    assert.match(api.checkRequest(op('GET', 'secret/metadata/a/'), new URLSearchParams('list=1'), undefined).join(), /query parameter list: must be equal to one of the allowed values/);
    // LIST's other spelling is not the documented one: read-metadata declares no query.
    assert.deepEqual(api.checkRequest(op('GET', 'secret/metadata/a'), new URLSearchParams('list=true'), undefined), ['query parameter list is not declared']);
  });

  it('rejects an undeclared or mistyped body field and a missing body', () => {
    const write = op('POST', 'secret/data/a');
    assert.deepEqual(api.checkRequest(write, new URLSearchParams(), { data: { value: 'x' }, options: { cas: 0 } }), []);
    assert.deepEqual(api.checkRequest(write, new URLSearchParams(), { data: { value: 'x' }, cas: 0 }), ['request body: field cas is not documented']);
    assert.match(api.checkRequest(write, new URLSearchParams(), { data: 'x' }).join(), /request body\/data: must be object/);
    assert.deepEqual(api.checkRequest(write, new URLSearchParams(), undefined), ['request body is required']);
    const meta = op('POST', 'secret/metadata/a');
    assert.deepEqual(api.checkRequest(meta, new URLSearchParams(), { custom_metadata: { owner: 'x' }, max_versions: 5 }), []);
    assert.match(api.checkRequest(meta, new URLSearchParams(), { max_versions: 'five' }).join(), /max_versions: must be integer/);
    assert.deepEqual(api.checkRequest(op('GET', 'secret/metadata/a'), new URLSearchParams(), { x: 1 }), ['GET /{kv_v2_mount_path}/metadata/{path} takes no body']);
  });

  it('rejects a response of the wrong shape: the envelope, its data, an undocumented status', () => {
    const read = op('GET', 'secret/metadata/a');
    const data = { cas_required: false, created_time: T, current_version: 1, custom_metadata: { owner: 'x' }, delete_version_after: '0s', max_versions: 0, oldest_version: 0, updated_time: T, versions: { 1: { created_time: T, deletion_time: '', destroyed: false } } };
    assert.deepEqual(api.checkResponse(read, 200, envelope(data)), []);
    assert.deepEqual(api.checkResponse(read, 200, envelope({ ...data, last_updated_by: {} })), ['response 200/data: field last_updated_by is not documented']);
    assert.match(api.checkResponse(read, 200, envelope({ ...data, current_version: '1' })).join(), /response 200\/data\/current_version: must be integer/);
    assert.match(api.checkResponse(read, 200, envelope({ ...data, updated_time: 'yesterday' })).join(), /updated_time: must match format "date-time"/);
    assert.match(api.checkResponse(read, 200, envelope({ ...data, delete_version_after: 'a while' })).join(), /delete_version_after: must match format "duration"/);
    const { mount_type: _, ...noMountType } = envelope(data);
    assert.deepEqual(api.checkResponse(read, 200, noMountType), ['response 200: field mount_type is required']);
    assert.ok(api.checkResponse(read, 200, data).some((p) => p.includes('field request_id is required')));
    assert.deepEqual(api.checkResponse(op('POST', 'secret/metadata/a'), 200, envelope(null)), ['status 200 is not documented for kv-v2-write-metadata (documented: 204)']);
    assert.deepEqual(api.checkResponse(op('POST', 'secret/metadata/a'), 204, undefined), []);
    // Errors: Vault's body, nothing else.
    assert.deepEqual(api.checkResponse(read, 404, { errors: [] }), []);
    assert.deepEqual(api.checkResponse(read, 403, { errors: ['permission denied'] }), []);
    assert.deepEqual(api.checkResponse(read, 403, { message: 'permission denied' }), ['response 403: field errors is required', 'response 403: field message is not documented']);
  });

  it('applies each tolerance only where it is named', () => {
    assert.equal(Object.keys(TOLERANCES).length, 3);
    // VERSION_QUERY: on kv-v2-read only, and an integer.
    assert.deepEqual(api.checkRequest(op('GET', 'secret/data/a'), new URLSearchParams('version=3'), undefined), []);
    assert.match(api.checkRequest(op('GET', 'secret/data/a'), new URLSearchParams('version=latest'), undefined).join(), /query parameter version: must be integer/);
    assert.deepEqual(api.checkRequest(op('GET', 'secret/metadata/a'), new URLSearchParams('version=3'), undefined), ['query parameter version is not declared']);
    // NULL_CUSTOM_METADATA: custom_metadata only.
    const written = { created_time: T, custom_metadata: null, deletion_time: '', destroyed: false, version: 1 };
    assert.deepEqual(api.checkResponse(op('POST', 'secret/data/a'), 200, envelope(written)), []);
    assert.match(api.checkResponse(op('POST', 'secret/data/a'), 200, envelope({ ...written, deletion_time: null })).join(), /deletion_time: must be string/);
    // DELETED_VERSION_404: kv-v2-read only, with { data: null, metadata }.
    const metadata = { created_time: T, custom_metadata: null, deletion_time: T, destroyed: false, version: 1 };
    assert.deepEqual(api.checkResponse(op('GET', 'secret/data/a'), 404, envelope({ data: null, metadata })), []);
    assert.match(api.checkResponse(op('GET', 'secret/data/a'), 404, envelope({ data: { value: 'x' }, metadata })).join(), /not \{ data: null, metadata \}/);
    assert.match(api.checkResponse(op('GET', 'secret/metadata/a'), 404, envelope({ data: null, metadata })).join(), /field errors is required/);
  });
});

describe('Vault fake', () => {
  let fake: VaultFake;
  let call: (method: string, path: string, body?: unknown, token?: string) => Promise<{ status: number; body: any }>;
  before(async () => {
    fake = await startVaultFake({ mounts: MOUNTS });
    call = async (method, path, body, token = fake.token) => {
      const res = await fetch(`${fake.url}/v1/${path}`, { method, headers: { 'X-Vault-Token': token }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
  });
  after(async () => {
    await fake.close();
  });

  it('keeps KV v2 versions: write with check-and-set, read by version, metadata, list, delete, undelete, destroy', async () => {
    const w1 = await call('POST', 'team/kv/data/app/db', { data: { value: 'one' }, options: { cas: 0 } });
    assert.equal(w1.status, 200);
    assert.equal(w1.body.data.version, 1);
    assert.equal(w1.body.data.custom_metadata, null);
    assert.equal(w1.body.mount_type, 'kv');
    assert.deepEqual((await call('POST', 'team/kv/data/app/db', { data: { value: 'x' }, options: { cas: 0 } })).body, { errors: ['check-and-set parameter did not match the current version'] });
    assert.equal((await call('POST', 'team/kv/data/app/db', { data: { value: 'two' }, options: { cas: 1 } })).body.data.version, 2);
    assert.equal((await call('POST', 'team/kv/data/app/cache', { data: { value: 'c' } })).status, 200);
    assert.equal((await call('GET', 'team/kv/data/app/db?version=1')).body.data.data.value, 'one');
    assert.equal((await call('GET', 'team/kv/data/app/db')).body.data.data.value, 'two');
    assert.equal((await call('POST', 'team/kv/metadata/app/db', { custom_metadata: { owner: 'team-payments' } })).status, 204);
    const meta = (await call('GET', 'team/kv/metadata/app/db')).body.data;
    assert.equal(meta.current_version, 2);
    assert.deepEqual(meta.custom_metadata, { owner: 'team-payments' });
    assert.deepEqual(Object.keys(meta.versions), ['1', '2']);
    assert.deepEqual((await call('GET', 'team/kv/metadata/app/?list=true')).body.data.keys, ['cache', 'db']);

    assert.equal((await call('POST', 'team/kv/delete/app/db', { versions: [1] })).status, 204);
    const deleted = await call('GET', 'team/kv/data/app/db?version=1');
    assert.equal(deleted.status, 404);
    assert.equal(deleted.body.data.data, null);
    assert.notEqual(deleted.body.data.metadata.deletion_time, '');
    assert.equal((await call('POST', 'team/kv/undelete/app/db', { versions: [1] })).status, 204);
    assert.equal((await call('GET', 'team/kv/data/app/db?version=1')).body.data.data.value, 'one');
    assert.equal((await call('POST', 'team/kv/destroy/app/db', { versions: [1] })).status, 204);
    assert.equal((await call('GET', 'team/kv/metadata/app/db')).body.data.versions['1'].destroyed, true);
    assert.equal(fake.secret('app/db', 'team/kv')!.versions.get(1)!.data, null);
    assert.equal((await call('DELETE', 'team/kv/data/app/db')).status, 204);
    assert.equal((await call('GET', 'team/kv/data/app/db')).status, 404);
    assert.equal((await call('DELETE', 'team/kv/metadata/app/db')).status, 204);
    assert.deepEqual((await call('GET', 'team/kv/metadata/app/db')).body, { errors: [] });
    assert.deepEqual(fake.violations, []);
  });

  it('keeps max_versions and Vault\'s custom_metadata limits', async () => {
    await call('POST', 'secret/metadata/many', { max_versions: 3 });
    for (let i = 0; i < 5; i++) await call('POST', 'secret/data/many', { data: { value: String(i) } });
    const meta = (await call('GET', 'secret/metadata/many')).body.data;
    assert.deepEqual([Object.keys(meta.versions), meta.current_version, meta.oldest_version], [['3', '4', '5'], 5, 3]);
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const refused = await call('POST', 'secret/metadata/many', { custom_metadata: tooMany });
    assert.equal(refused.status, 400);
    assert.match(refused.body.errors[0], /at most 64 keys, provided 65/);
    assert.equal((await call('POST', 'secret/metadata/many', { custom_metadata: { ['k'.repeat(129)]: 'v' } })).status, 400);
    assert.equal((await call('POST', 'secret/metadata/many', { custom_metadata: { k: 'v'.repeat(513) } })).status, 400);
    assert.deepEqual(fake.violations, []);
  });

  it('answers 403 permission denied without a valid token, 404 on a mount it does not have', async () => {
    assert.deepEqual(await call('GET', 'secret/metadata/x', undefined, 'hvs.wrong'), { status: 403, body: { errors: ['permission denied'] } });
    const res = await fetch(`${fake.url}/v1/secret/metadata/x`);
    assert.deepEqual([res.status, await res.json()], [403, { errors: ['permission denied'] }]);
    const nomount = await call('GET', 'kv/metadata/x');
    assert.equal(nomount.status, 404);
    assert.match(nomount.body.errors[0], /no handler for route/);
    assert.deepEqual(fake.violations, []);
  });

  it('injects Vault\'s faults: 403, 429, 500, 503, a dropped connection, a write that landed unanswered', async () => {
    for (const [status, message] of [[403, /^permission denied$/], [429, /rate limit quota exceeded/], [500, /internal error/], [503, /Vault is sealed/]] as const) {
      fake.fail({ status, path: /metadata\/f$/ });
      const res = await call('GET', 'secret/metadata/f');
      assert.equal(res.status, status);
      assert.match(res.body.errors[0], message);
      assert.equal((await call('GET', 'secret/metadata/f')).status, 404, 'used up');
    }
    fake.fail({ status: 0 });
    await assert.rejects(call('GET', 'secret/metadata/f'));
    fake.fail({ status: 0, landed: true, method: 'POST' });
    await assert.rejects(call('POST', 'secret/data/f', { data: { value: 'v' } }));
    assert.equal(fake.secret('f')!.currentVersion, 1, 'the write landed');
    assert.equal(fake.faultsServed, 6);
    assert.deepEqual(fake.violations, []);
  });

  it('a request outside the description fails loudly: answered 400 naming the field, recorded', async () => {
    const res = await call('POST', 'secret/data/x', { data: { value: 'v' }, cas: 0 });
    assert.deepEqual(res, { status: 400, body: { errors: ['request body: field cas is not documented'] } });
    assert.equal(fake.secret('x'), undefined, 'nothing written');
    assert.deepEqual(fake.violations.splice(0), ['kv-v2-write (POST /{kv_v2_mount_path}/data/{path}): request body: field cas is not documented']);
    assert.equal((await call('GET', 'secret/metadata/x?list=true')).status, 400);
    assert.deepEqual(fake.violations.splice(0), ['kv-v2-read-metadata (GET /{kv_v2_mount_path}/metadata/{path}): query parameter list is not declared']);
    assert.equal((await call('PUT', 'secret/metadata/x', { max_versions: 1 })).status, 404);
    assert.deepEqual(fake.violations.splice(0), ['request to an undocumented endpoint: PUT /v1/secret/metadata/x']);
    assert.equal((await call('GET', 'secret/subkeys/x')).status, 500);
    assert.deepEqual(fake.violations.splice(0), ['kv-v2-read-subkeys (GET /{kv_v2_mount_path}/subkeys/{path}): not implemented by the Vault fake']);
  });
});
