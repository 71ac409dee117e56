/** idp templates/search/create need Backstage's APIs: against the standalone server they say so (exit 3), sending nothing else. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, run, useFakeApi } from './testing/harness.js';

describe('templates, search and create without Backstage', () => {
  useFakeApi();

  it('explain that they need the Platform API served by Backstage', async () => {
    for (const argv of [['templates'], ['search', 'preview'], ['create', 'add-preview-environment', '--set', 'name=p1']]) {
      const r = await run(argv, { env: { IDP_TOKEN: 't0ken' } });
      assert.equal(r.code, 3, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /does not serve Backstage's (catalog|search|scaffolder) API: templates, search and create need the Platform API served by Backstage/);
      assert.ok(!r.err.includes('t0ken'));
    }
    assert.ok(api.requests.every((q) => q.method === 'GET'), 'nothing was started');
  });

  it('refuse bad arguments before sending anything', async () => {
    const kind = await run(['search', 'x', '--kind', 'group']);
    assert.equal(kind.code, 2);
    const set = await run(['create', 'a-template', '--set', 'oops']);
    assert.equal(set.code, 3, 'the template is looked up first'); // the fake has no scaffolder: not found
    const ref = await run(['create', 'component:default/checkout']);
    assert.equal(ref.code, 2);
    assert.match(ref.err, /is not a template \(kind component\)/);
    const task = await run(['tasks', 'logs', '../etc']);
    assert.equal(task.code, 2);
    assert.equal(api.requests.length, 1, 'only the template lookup of `create a-template` was sent');
  });
});
