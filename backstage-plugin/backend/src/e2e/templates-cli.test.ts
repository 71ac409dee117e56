/**
 * `idp templates`, `idp search`, `idp create` and `idp tasks logs`, end to end: the real CLI (a process per run, with a
 * real Backstage token) against the real embedded Backstage — its catalog, its search (Lunr, fed by the catalog
 * collator) and its Scaffolder running fixture templates built from stock actions (debug:log, debug:wait, and a
 * catalog:fetch of an entity that does not exist, which fails).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { eventually, freePort } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const idpBin = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));

const template = (name: string, title: string, description: string, body: string) =>
  `apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata: { name: ${name}, title: ${title}, description: ${description}, tags: [fixture, cli] }
spec:
  owner: group:default/team-payments
  type: service
${body}`;

const FIXTURES = [
  template(
    'sandbox-maker',
    'Sandbox maker',
    'Makes things quickly',
    `  parameters:
    - title: What
      required: [name]
      properties:
        name: { type: string, title: Name, pattern: '^[a-z][a-z0-9-]*$' }
        count: { type: integer, title: How many, default: 1 }
        size: { type: string, title: Size, enum: [small, large] }
    - title: Where
      required: [component]
      properties:
        component: { type: string, title: Component, 'ui:field': EntityPicker, 'ui:options': { catalogFilter: { kind: Component } } }
  steps:
    - id: hello
      name: Say hello
      action: debug:log
      input: { message: 'hello \${{ parameters.name }} x\${{ parameters.count }} in \${{ parameters.component }}' }
  output:
    links: [{ title: Pull request, url: 'http://forge.test/pr/\${{ parameters.name }}' }]
    prUrl: 'http://forge.test/pr/\${{ parameters.name }}'
`,
  ),
  template(
    'playground',
    'Playground',
    'Creates a sandbox for experiments',
    `  parameters: []
  steps:
    - { id: play, name: Play, action: debug:log, input: { message: playing } }
`,
  ),
  template(
    'slow-steps',
    'Slow steps',
    'Logs three lines with pauses between them',
    `  steps:
    - { id: one, name: One, action: debug:log, input: { message: line one } }
    - { id: pause1, name: Pause, action: debug:wait, input: { milliseconds: 1500 } }
    - { id: two, name: Two, action: debug:log, input: { message: line two } }
    - { id: pause2, name: Pause again, action: debug:wait, input: { milliseconds: 500 } }
    - { id: three, name: Three, action: debug:log, input: { message: line three } }
  output:
    prUrl: http://forge.test/pr/slow
`,
  ),
  template(
    'broken',
    'Broken',
    'Fails at its second step',
    `  steps:
    - { id: fine, name: Fine, action: debug:log, input: { message: so far so good } }
    - { id: lookup, name: Look up, action: 'catalog:fetch', input: { entityRef: 'component:default/no-such-thing' } }
`,
  ),
  template(
    'skeleton-maker',
    'Skeleton maker',
    'Renders a skeleton kept beside the template',
    `  parameters: [{ required: [name], properties: { name: { type: string } } }]
  steps:
    - { id: render, name: Render, action: 'fetch:template', input: { url: ./skeleton, targetPath: ./out, values: { name: '\${{ parameters.name }}' } } }
`,
  ),
  `apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: ledger, description: Keeps the sandbox ledger }
spec: { type: service, lifecycle: experimental, owner: group:default/team-payments }
`,
].join('---\n');

describe('idp templates, search and create against the real Backstage', () => {
  let stack: EmbeddedStack;
  let token: string;
  const printed: string[] = [];

  const idp = (args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; api?: string } = {}) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: opts.api ?? stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1', ...opts.env };
      delete env.IDP_API_TOKEN;
      for (const [k, v] of Object.entries(opts.env ?? {})) if (v === undefined) delete env[k];
      execFile(process.execPath, [idpBin, ...args], { cwd: opts.cwd ?? stack.home, env, encoding: 'utf8' }, (err, out, errOut) => {
        printed.push(out, errOut);
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut });
      });
    });

  const taskCount = async () => {
    const r = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks?createdBy=user:default/alice`, { headers: { authorization: `Bearer ${token}` } });
    return ((await r.json()) as { totalTasks: number }).totalTasks;
  };

  before(async () => {
    // The stack's own search schedule: the index is built once the catalog holds the demo (the fixtures are read in
    // the same pass, or by the next rebuild a minute later).
    stack = await startEmbedded({ catalog: () => FIXTURES });
    token = await stack.tokenFor('alice');
    await eventually(
      async () => {
        const r = await fetch(`${stack.baseUrl}/api/search/query?term=experiments`, { headers: { authorization: `Bearer ${token}` } });
        return r.ok && (await r.text()).includes('/template/playground');
      },
      90_000,
      'the search index to hold the fixture templates',
    );
  });
  after(async () => {
    await stack?.stop();
  });

  it('idp templates lists the fixture templates with their owner, tags and parameters (required starred)', async () => {
    const r = await idp(['templates']);
    assert.equal(r.code, 0, r.err);
    const line = r.out.split('\n').find((l) => l.startsWith('sandbox-maker'));
    assert.ok(line, r.out);
    assert.match(line, /Sandbox maker\s+group:default\/team-payments\s+fixture,cli\s+name\*, count, size, component\*$/);
    assert.match(r.out, /^playground\s+Playground\s+.*\s-$/m);
  });

  it('idp templates --json has the documented shape', async () => {
    const r = await idp(['templates', '--json']);
    assert.equal(r.code, 0, r.err);
    const { templates } = JSON.parse(r.out) as { templates: Record<string, unknown>[] };
    const t = templates.find((x) => x.name === 'sandbox-maker');
    assert.deepEqual(t, {
      ref: 'template:default/sandbox-maker',
      name: 'sandbox-maker',
      title: 'Sandbox maker',
      description: 'Makes things quickly',
      owner: 'group:default/team-payments',
      type: 'service',
      tags: ['fixture', 'cli'],
      parameters: [
        { name: 'name', title: 'Name', type: 'string', required: true, step: 'What' },
        { name: 'count', title: 'How many', type: 'integer', required: false, step: 'What', default: 1 },
        { name: 'size', title: 'Size', type: 'string', required: false, step: 'What', enum: ['small', 'large'] },
        { name: 'component', title: 'Component', type: 'string', required: true, step: 'Where', field: 'EntityPicker' },
      ],
      url: `${stack.baseUrl}/create/templates/default/sandbox-maker`,
    });
  });

  it('idp search finds a template by a word of its description, and says why', async () => {
    const r = await idp(['search', 'experiments', '--json']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { source: string; results: { ref: string; kind: string; rank: number; matched: { field: string; text: string }[] }[] };
    assert.equal(res.source, 'search');
    assert.equal(res.results[0]?.ref, 'template:default/playground');
    assert.deepEqual(res.results[0]?.matched, [{ field: 'description', text: 'Creates a sandbox for **experiments**' }]);
    const table = await idp(['search', 'experiments']);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /^1\s+Template\s+playground\s+Playground\s+description: Creates a sandbox for \*\*experiments\*\*$/m);
  });

  it('ranks a title match above a description match, and --kind keeps one kind', async () => {
    const all = JSON.parse((await idp(['search', 'sandbox', '--json'])).out) as { results: { ref: string; rank: number; matched: { field: string }[] }[] };
    const rank = (ref: string) => all.results.find((h) => h.ref === ref)?.rank ?? Infinity;
    assert.ok(rank('template:default/sandbox-maker') < rank('template:default/playground'), JSON.stringify(all));
    assert.ok(all.results.find((h) => h.ref === 'template:default/sandbox-maker')!.matched.some((m) => m.field === 'title'));
    assert.ok(Number.isFinite(rank('component:default/ledger')), 'components are searched too');

    const templates = JSON.parse((await idp(['search', 'sandbox', '--kind', 'template', '--json'])).out) as { results: { kind: string }[] };
    assert.ok(templates.results.length >= 2);
    assert.ok(templates.results.every((h) => h.kind === 'Template'), JSON.stringify(templates));
    const components = JSON.parse((await idp(['search', 'sandbox', '--kind', 'component', '--json'])).out) as { results: { ref: string }[] };
    assert.deepEqual(components.results.map((h) => h.ref), ['component:default/ledger']);
  });

  it('idp search with no match exits 0 with a hint; a bad --kind is a usage error', async () => {
    const r = await idp(['search', 'zzyzxqq']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /Nothing matches "zzyzxqq"/);
    const bad = await idp(['search', 'x', '--kind', 'api']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--kind api: expected template or component/);
  });

  it('idp create --wait streams the log, fills the component from the folder, prints the output and exits 0', async () => {
    const before = await taskCount();
    const r = await idp(['create', 'sandbox-maker', '--set', 'name=demo-1', '--set', 'count=3', '--wait'], { cwd: stack.demo.workdir });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /component: component:default\/checkout \(this folder: /);
    assert.match(r.err, /Started template:default\/sandbox-maker as task [0-9a-f-]+: http:\/\/127\.0\.0\.1:\d+\/create\/tasks\//);
    assert.match(r.err, /\[hello\] hello demo-1 x3 in component:default\/checkout/);
    assert.equal(r.out, 'Pull request: http://forge.test/pr/demo-1\nprUrl: http://forge.test/pr/demo-1\n');
    assert.equal(await taskCount(), before + 1);
  });

  it('a failing step exits non-zero with the step\'s error', async () => {
    const r = await idp(['create', 'broken', '--wait']);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /\[fine\] so far so good/);
    assert.match(r.err, /\[lookup\] Error: Entity component:default\/no-such-thing not found\n/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    assert.match(r.err, /The task failed at step lookup: .*component:default\/no-such-thing/);
  });

  it('an unknown template: exit 3, pointing at idp templates', async () => {
    const r = await idp(['create', 'no-such-template', '--wait']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /No template template:default\/no-such-template in the catalog at .*`idp templates` lists them/);
  });

  it('a missing required parameter, off a terminal: an error listing it (name and title), no task', async () => {
    const before = await taskCount();
    // Not in a working copy: the component cannot come from the folder either.
    const r = await idp(['create', 'sandbox-maker', '--set', 'count=2']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /template:default\/sandbox-maker needs values for:\n {2}name \(Name\)\n {2}component \(Component\): not taken from this folder, /);
    assert.match(r.err, /Nothing was started/);
    assert.equal(await taskCount(), before);
  });

  it('on a terminal, asks for a missing required value, checks it, and asks again when it does not fit', { timeout: 60_000 }, async () => {
    // `script` gives the CLI a pseudo-terminal as stdin, stdout and stderr: what a person at a terminal has.
    const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1', TERM: 'dumb' };
    const cmd = `'${process.execPath}' '${idpBin}' create sandbox-maker --set count=4 --wait`;
    const child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: stack.demo.workdir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000); // a prompt never answered must not hang the suite
    let out = '';
    const answers = ['Bad_Name', 'tty-ok'];
    child.stdout.on('data', (d: Buffer) => {
      const before = out.split('name (Name)').length;
      out += d.toString();
      if (out.split('name (Name)').length > before && answers.length) child.stdin.write(`${answers.shift()}\r`);
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(killer);
    printed.push(out);
    assert.equal(code, 0, out);
    // Asked, refused with the Scaffolder's reason, asked again.
    assert.match(out, /name \(Name\): Bad_Name\r*\nname \(Name\): does not match pattern "[^"]+"\r*\nname \(Name\): tty-ok\r*\n/);
    assert.match(out, /\[hello\] hello tty-ok x4 in component:default\/checkout/);
  });

  it('a value of the wrong type or pattern: an error before anything starts, no task', async () => {
    const before = await taskCount();
    const type = await idp(['create', 'sandbox-maker', '--set', 'name=ok', '--set', 'count=lots'], { cwd: stack.demo.workdir });
    assert.equal(type.code, 2, type.err);
    assert.match(type.err, /--set count=lots: How many must be a whole number/);
    const pattern = await idp(['create', 'sandbox-maker', '--set', 'name=Not_OK'], { cwd: stack.demo.workdir });
    assert.equal(pattern.code, 2, pattern.err);
    assert.match(pattern.err, /name \(Name\): does not match pattern "\^\[a-z\]\[a-z0-9-\]\*\$"/);
    const choice = await idp(['create', 'sandbox-maker', '--set', 'name=ok', '--set', 'size=huge'], { cwd: stack.demo.workdir });
    assert.equal(choice.code, 2, choice.err);
    assert.match(choice.err, /size \(Size\): is not one of enum values: small,large/);
    assert.equal(await taskCount(), before);
  });

  it('--values reads a YAML file; --set wins over it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'idp-values-')), 'values.yaml');
    writeFileSync(file, 'name: from-file\ncount: 7\ncomponent: component:default/ledger\n');
    const r = await idp(['create', 'sandbox-maker', '--values', file, '--set', 'name=from-flag', '--wait']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /hello from-flag x7 in component:default\/ledger/);
  });

  it('--dry-run runs the steps in dry-run mode and prints their log and output; no task', async () => {
    const before = await taskCount();
    const r = await idp(['create', 'sandbox-maker', '--set', 'name=dry', '--dry-run'], { cwd: stack.demo.workdir });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /hello dry x1 in component:default\/checkout/);
    assert.match(r.out, /prUrl: http:\/\/forge\.test\/pr\/dry/);
    assert.match(r.err, /no task was created/);
    assert.equal(await taskCount(), before);
  });

  it('--dry-run sends the files the template\'s fetch steps read, and lists what they would write', async () => {
    // The fixtures' location is a file in the stack's home: their ./skeleton is a folder beside it.
    mkdirSync(join(stack.home, 'skeleton'), { recursive: true });
    writeFileSync(join(stack.home, 'skeleton', 'README.md'), '# ${{ values.name }}\n');
    const r = await idp(['create', 'skeleton-maker', '--set', 'name=rendered', '--dry-run', '--json']);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { dryRun: boolean; files: string[]; log: { message: string }[] };
    assert.equal(res.dryRun, true);
    assert.deepEqual(res.files, ['out/README.md']);
    assert.ok(!existsSync(join(stack.home, 'out')), 'nothing written beside the template');
  });

  it('--no-follow prints the task id; idp tasks logs follows it to its end', async () => {
    const r = await idp(['create', 'slow-steps', '--no-follow']);
    assert.equal(r.code, 0, r.err);
    const id = r.out.trim();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.match(r.err, new RegExp(`idp tasks logs ${id}`));
    const logs = await idp(['tasks', 'logs', id]);
    assert.equal(logs.code, 0, logs.err);
    assert.match(logs.err, /line one[^]*line two[^]*line three/);
    assert.equal(logs.out, 'prUrl: http://forge.test/pr/slow\n');
  });

  it('when the event stream drops mid-task, it reconnects and prints every log line once', async () => {
    // A proxy in front of Backstage that cuts the first event stream after its first chunk of events.
    let streams = 0;
    const afters: (string | null)[] = [];
    const target = new URL(stack.baseUrl);
    const proxy: Server = createServer((req, res) => {
      const isStream = req.url!.includes('/eventstream');
      const n = isStream ? ++streams : 0;
      if (isStream) afters.push(new URL(req.url!, 'http://x').searchParams.get('after'));
      // Uncompressed, so the proxy can see where "line one" passes.
      const headers = { ...req.headers, 'accept-encoding': 'identity' };
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upRes) => {
        res.writeHead(upRes.statusCode!, upRes.headers);
        upRes.on('data', (chunk: Buffer) => {
          // Cut once the chunk has left: the connection dies mid-task, without the end of a response.
          const cut = n === 1 && chunk.toString().includes('line one');
          res.write(chunk, () => {
            if (!cut) return;
            upRes.destroy();
            res.socket?.destroy();
          });
        });
        upRes.on('end', () => res.end());
      });
      req.pipe(up);
    });
    const port = await freePort();
    await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
    try {
      const r = await idp(['create', 'slow-steps', '--wait'], { api: `http://127.0.0.1:${port}/api/idp` });
      assert.equal(r.code, 0, r.err);
      assert.ok(streams >= 2, `the stream was reopened (${streams})`);
      assert.equal(afters[0], null);
      assert.match(afters[1] ?? '', /^\d+$/);
      assert.match(r.err, /event stream dropped; reconnecting/);
      for (const line of ['[one] line one', '[two] line two', '[three] line three', '[one] Beginning step One', '[three] Finished step Three']) {
        assert.equal(r.err.split(`${line}\n`).length - 1, 1, `${line} printed once:\n${r.err}`);
      }
      assert.equal(r.out, 'prUrl: http://forge.test/pr/slow\n');
    } finally {
      proxy.close();
      proxy.closeAllConnections();
    }
  });

  it('Ctrl-C stops following, not the task, and says how to follow it again', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, IDP_API_URL: stack.apiUrl, IDP_TOKEN: token, NO_COLOR: '1' };
    const child = spawn(process.execPath, [idpBin, 'create', 'slow-steps', '--wait'], { cwd: stack.home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (!interrupted && err.includes('[one] line one\n')) interrupted = child.kill('SIGINT');
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    printed.push(err);
    assert.equal(code, 130, err);
    const id = /as task ([0-9a-f-]{36})/.exec(err)?.[1];
    assert.ok(id, err);
    assert.match(err, new RegExp(`The task keeps running\\. Follow it again with \`idp tasks logs ${id}\``));
    assert.doesNotMatch(err, /line two/);
    // The task ran on to its end without anyone following it.
    await eventually(
      async () => {
        const r = await fetch(`${stack.baseUrl}/api/scaffolder/v2/tasks/${id}`, { headers: { authorization: `Bearer ${token}` } });
        return ((await r.json()) as { status: string }).status === 'completed';
      },
      30_000,
      'the task to complete',
    );
  });

  it('unauthenticated: exit 5 with the sign-in hint, for each command', async () => {
    const env = { IDP_TOKEN: undefined, XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'idp-nologin-')) };
    for (const args of [['templates'], ['search', 'sandbox'], ['create', 'playground', '--wait'], ['tasks', 'logs', '00000000-0000-0000-0000-000000000000']]) {
      const r = await idp(args, { env });
      assert.equal(r.code, 5, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /You are not signed in to Backstage: run `idp login`/);
    }
    const forged = await idp(['templates'], { env: { IDP_TOKEN: 'not-a-token' } });
    assert.equal(forged.code, 5, forged.err);
    assert.match(forged.err, /Backstage did not accept your token \(IDP_TOKEN\)/);
  });

  it('never prints the token', () => {
    for (const text of [...printed, stack.output()]) assert.ok(!text.includes(token));
  });
});
