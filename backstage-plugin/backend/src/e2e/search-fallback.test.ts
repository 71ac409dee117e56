/**
 * `idp search` in the first seconds of a Backstage, before its search index is built (here: never, the collator
 * selects no entity): the engine answers MissingIndexError, and the CLI answers from the catalog's full-text filter
 * instead, says so, and still ranks a name or title match before a description match.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const idpBin = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

const template = (name: string, title: string, description: string) =>
  `apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata: { name: ${name}, title: ${title}, description: ${description} }\nspec: { owner: group:default/team-payments, type: service, steps: [{ id: a, action: 'debug:log', input: { message: hi } }] }\n`;

describe('idp search before the search index is built', () => {
  let stack: EmbeddedStack;
  let token: string;
  const idp = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1' };
      delete env.IDP_API_TOKEN;
      execFile(process.execPath, [idpBin, ...args], { cwd: stack.home, env, encoding: 'utf8' }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
      );
    });

  before(async () => {
    stack = await startEmbedded({
      catalog: () => [template('nightly-cleanup', 'Nightly cleanup', 'Removes stale sandboxes'), template('sandbox-maker', 'Sandbox maker', 'Opens one')].join('---\n'),
      // A collator filter that selects nothing: the engine never gets a document, so it never has an index.
      env: { APP_CONFIG_search_collators_catalog_filter: '{"kind":"no-such-kind"}' },
    });
    token = await stack.tokenFor('alice');
    await eventually(async () => {
      const r = await fetch(`${stack.baseUrl}/api/catalog/entities/by-name/template/default/sandbox-maker`, { headers: { authorization: `Bearer ${token}` } });
      await r.body?.cancel();
      return r.ok;
    }, 30_000, 'the catalog to read the fixtures');
  });
  after(async () => {
    await stack?.stop();
  });

  it('answers from the catalog, says so, and ranks the title match first', async () => {
    const index = await fetch(`${stack.baseUrl}/api/search/query?term=sandbox`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await index.json()) as { error?: { name: string } }).error?.name, 'MissingIndexError', 'the index is not built');
    const r = await idp('search', 'sandbox', '--json');
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { source: string; note: string; results: { ref: string; rank: number; matched: { field: string; text: string }[] }[] };
    assert.equal(res.source, 'catalog');
    assert.match(res.note, /search index is not built yet/);
    assert.deepEqual(
      res.results.map((h) => [h.rank, h.ref, h.matched.map((m) => m.field)]),
      [
        [1, 'template:default/sandbox-maker', ['name', 'title']],
        [2, 'template:default/nightly-cleanup', ['description']],
      ],
    );
    assert.deepEqual(res.results[1]!.matched[0], { field: 'description', text: 'Removes stale **sandbox**es' });
    const table = await idp('search', 'sandbox', '--kind', 'template');
    assert.equal(table.code, 0, table.err);
    assert.match(table.err, /these results come from the catalog's full-text filter/);
    assert.match(table.out, /^1\s+Template\s+sandbox-maker/m);
  });
});
