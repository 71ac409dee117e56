// Issue #12's figures, on the embedded stack with 500 extra Template entities in its catalog (one file location):
//  - `idp search` latency, p50 of 15 runs of the real CLI (a cold process each, as a user runs it), with where the time
//    goes: node + the CLI's start (`idp --version`) and the search request itself (in-process, p50 of 30).
//  - template task start → PR URL, p50 of 10 runs of `add-preview-environment` (POST /v2/tasks, then the task's event
//    stream to its completion, whose output carries the PR URL), with where the time goes. Skipped, saying so, when
//    the template is not in the catalog (it comes with the templates of issue #12).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { startEmbedded } from '../backstage-plugin/backend/dist/testing/embedded.js';
import { BackstageClient } from '../cli/dist/backstage.js';
import { followTask } from '../cli/dist/task-events.js';
import { missingRequired, withDefaults } from '../cli/dist/template-params.js';
import { pct } from './bench-clone.mjs';

const idpBin = join(resolve('.'), 'cli/bin/idp.js');
const ms = (ns) => Number(ns) / 1e6;
const N_TEMPLATES = 500;
const TEMPLATE = 'add-preview-environment';

const generated = Array.from({ length: N_TEMPLATES }, (_, i) =>
  [
    'apiVersion: scaffolder.backstage.io/v1beta3',
    'kind: Template',
    `metadata: { name: bench-template-${i}, title: Bench golden path ${i}, description: Sets up widget number ${i} for team t${i % 20}, tags: [bench, t${i % 20}] }`,
    'spec:',
    '  owner: group:default/team-payments',
    '  type: service',
    '  parameters: [{ title: What, required: [name], properties: { name: { type: string, title: Name } } }]',
    "  steps: [{ id: log, action: 'debug:log', input: { message: hi } }]",
  ].join('\n'),
).join('\n---\n');

async function until(what, fn, timeoutMs = 180_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return ms(process.hrtime.bigint() - t);
}

export async function templateRows() {
  const rows = [];
  // The index is rebuilt every 5 s here (a minute in app-config.yaml), so the 500 templates are all in it soon.
  const stack = await startEmbedded({ catalog: () => generated, env: { APP_CONFIG_search_collators_catalog_schedule_frequency: '{"seconds":5}' } });
  try {
    const token = await stack.tokenFor('alice');
    const client = new BackstageClient({ url: stack.apiUrl, urlSource: 'bench', token, tokenSource: 'IDP_TOKEN' });
    const searchOnce = async (term) => (await client.get(`/api/search/query?term=${term}&types%5B0%5D=software-catalog&pageLimit=25`)).numberOfResults;
    await until(`the search index to hold the ${N_TEMPLATES} templates`, async () => {
      try {
        return (await searchOnce('widget')) >= N_TEMPLATES;
      } catch {
        return false; // no index yet
      }
    });

    const env = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1' };
    delete env.IDP_API_TOKEN;
    // Not spawnSync: a blocked event loop would leave this process's idle keep-alive sockets half-closed.
    const run = (args) => promisify(execFile)(process.execPath, [idpBin, ...args], { env, cwd: stack.home, encoding: 'utf8' });
    await run(['search', 'widget']); // page cache warm, process cold
    // The floor: a bare node process making the same request (its own start, fetch's first use, a new connection).
    const url = `${stack.baseUrl}/api/search/query?term=widget&types%5B0%5D=software-catalog&pageLimit=25`;
    const bare = () => promisify(execFile)(process.execPath, ['--input-type=module', '-e', `const r = await fetch(${JSON.stringify(url)}, { headers: { authorization: 'Bearer ' + process.env.IDP_TOKEN } }); await r.json();`], { env });
    const cli = [];
    const rare = [];
    const start = [];
    const floor = [];
    for (let i = 0; i < 15; i++) {
      cli.push(await time(() => run(['search', 'widget'])));
      rare.push(await time(() => run(['search', `t${i}`, '--kind', 'template'])));
      start.push(await time(() => run(['--version'])));
      floor.push(await time(bare));
    }
    const request = [];
    for (let i = 0; i < 30; i++) {
      const t = process.hrtime.bigint();
      await searchOnce('widget');
      request.push(ms(process.hrtime.bigint() - t));
    }
    rows.push([`idp search p50, ${N_TEMPLATES} templates in the catalog ("widget": all match, top 25 shown)`, `${pct(cli, 50).toFixed(0)} ms`, '']);
    rows.push([`idp search p50, a word of 25 templates, --kind template`, `${pct(rare, 50).toFixed(0)} ms`, '']);
    rows.push(['  floor: bare node making the same request (fresh process and connection)', `${pct(floor, 50).toFixed(0)} ms`, '']);
    rows.push(['  of which node + idp start (`idp --version`)', `${pct(start, 50).toFixed(0)} ms`, '']);
    rows.push(['  of which the search request (GET /api/search/query, in-process, p50 of 30)', `${pct(request, 50).toFixed(1)} ms`, '']);

    const found = await client.fetch(`/api/catalog/entities/by-name/template/default/${TEMPLATE}`);
    await found.body?.cancel();
    if (found.status === 404) {
      rows.push([`template task start → PR URL p50 (${TEMPLATE})`, 'skipped', `template:default/${TEMPLATE} is not in the catalog (templates/${TEMPLATE}/template.yaml)`]);
      return rows;
    }
    // The values a user passes (`idp create add-preview-environment --set source=staging --set name=…` in the demo's
    // folder), with the template's defaults for the rest, as the CLI sends them.
    const schema = await client.get(`/api/scaffolder/v2/templates/default/template/${TEMPLATE}/parameter-schema`);
    const steps = schema.steps.map((st) => ({ title: st.title, schema: st.schema }));
    const valuesFor = (i) => withDefaults(steps, { component: 'component:default/checkout', source: 'staging', name: `bench-preview-${i}` });
    const missing = missingRequired(steps, valuesFor(0));
    if (missing.length) {
      rows.push([`template task start → PR URL p50 (${TEMPLATE})`, 'skipped', `the bench does not know its required ${missing.map((p) => p.name).join(', ')}`]);
      return rows;
    }
    const lat = [];
    const created = [];
    const firstEvent = [];
    const failures = [];
    for (let i = 0; i < 11; i++) {
      const t0 = process.hrtime.bigint();
      let id, t1, t2, outcome;
      try {
        ({ id } = await client.post('/api/scaffolder/v2/tasks', { templateRef: `template:default/${TEMPLATE}`, values: valuesFor(i) }));
        t1 = process.hrtime.bigint();
        outcome = await followTask(client, id, { onEvent: () => (t2 ??= process.hrtime.bigint()) });
      } catch (e) {
        failures.push(`run ${i}: ${e.message}`);
        continue;
      }
      const url = outcome.output.prUrl ?? outcome.output.links?.find((l) => /pull|merge/i.test(l.title ?? ''))?.url;
      if (outcome.status !== 'completed' || !url) {
        failures.push(`${id}: ${outcome.status} ${outcome.error ?? 'no PR URL in the output'}`);
        continue;
      }
      if (i === 0) continue; // the first run warms the template's actions up
      lat.push(ms(process.hrtime.bigint() - t0));
      created.push(ms(t1 - t0));
      firstEvent.push(ms(t2 - t1));
    }
    if (!lat.length) {
      rows.push([`template task start → PR URL p50 (${TEMPLATE})`, 'failed', failures.join('; ')]);
      return rows;
    }
    rows.push([`template task start → PR URL p50 (${TEMPLATE}, ${lat.length} sequential, warm)`, `${pct(lat, 50).toFixed(0)} ms`, '']);
    rows.push(['  of which POST /v2/tasks (task stored)', `${pct(created, 50).toFixed(0)} ms`, '']);
    rows.push(['  of which until the first log event (a worker claims the task)', `${pct(firstEvent, 50).toFixed(0)} ms`, '']);
    // Backstage's StorageTaskBroker.event$ reads the task's events from its store once a second: whatever the steps
    // take, a follower sees the completion (and its PR URL) at the next whole second after the first event.
    rows.push(['  of which the steps, to the completion event (the Scaffolder streams events by polling its store every 1 s)', `${(pct(lat, 50) - pct(created, 50) - pct(firstEvent, 50)).toFixed(0)} ms`, '']);
    if (failures.length) rows.push(['  failed runs', String(failures.length), failures.join('; ')]);
  } finally {
    await stack.stop();
  }
  return rows;
}
