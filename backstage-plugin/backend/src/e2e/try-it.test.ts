/**
 * The README's "Try it", line by line, as a new user runs it: read from README.md, run with the real `idp` bin in
 * the demo working copy of the real embedded stack (`npm start`'s process: Temporal, the worker, Backstage with the
 * idp plugin) — signing in through the browser (Chromium) as Guest, then as the demo's people — to the result each
 * line promises, ending with production merged. A line the test does not know fails it: a changed "Try it" needs
 * its promise here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const IDP = fileURLToPath(new URL('../../../../cli/bin/idp.js', import.meta.url));
const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Run {
  line: string;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The shell lines of the README's "Try it" block, comments removed. */
function tryItLines(): string[] {
  const readme = readFileSync(README, 'utf8');
  const block = /^## Try it[^\n]*\n+```sh\n([\s\S]*?)\n```/m.exec(readme);
  assert.ok(block, 'README.md has a "## Try it" section with a ```sh block');
  return block[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

/** Runs one `idp args...` as the shell would (words split on spaces: the lines quote nothing). */
function idp(cwd: string, env: Record<string, string>, command: string, onStderr?: (text: string) => void): Promise<Run> {
  const words = command.split(/\s+/);
  assert.equal(words.shift(), 'idp', `a line of "Try it" runs idp: ${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IDP, ...words], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ line: command, code, stdout, stderr }));
  });
}

/**
 * A `--tail` line as a person runs it: it follows while `poke` makes the app write (a request to it) until the output
 * shows `seen`, then Ctrl-C.
 */
async function followed(cwd: string, env: Record<string, string>, command: string, seen: RegExp, poke: () => Promise<void>): Promise<Run> {
  const words = command.split(/\s+/).slice(1);
  const child = spawn(process.execPath, [IDP, ...words], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  await eventually(async () => {
    await poke();
    return seen.test(stdout);
  }, 30_000, `${command} to show ${seen}`);
  child.kill('SIGINT');
  return { line: command, code: await closed, stdout, stderr };
}

const out = (r: Run) => `$ ${r.line}\nexit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

describe('the README\'s "Try it"', () => {
  let stack: EmbeddedStack;
  let home: string;
  before(async () => {
    stack = await startEmbedded();
    home = mkdtempSync(join(tmpdir(), 'idp-try-it-'));
  });
  after(async () => {
    await stack?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('runs line by line to what each line promises, ending with production merged', async () => {
    const cwd = stack.demo.workdir;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', BROWSER: 'none', IDP_API_URL: stack.apiUrl };
    const pull = async (n: number) => {
      const res = await fetch(`${stack.apiUrl}/pulls/${n}?repo=${encodeURIComponent(stack.demo.bare)}`, { headers: { authorization: `Bearer ${await stack.tokenFor('carol')}`, accept: 'application/json' } });
      return (await res.json()) as { state: string };
    };
    const merged = (n: number) => eventually(async () => (await pull(n)).state === 'merged', 30_000, `PR #${n} merged`);
    const pawsOnMain = () => execFileSync('git', ['show', 'main:paws.yaml'], { cwd: stack.demo.bare, encoding: 'utf8' });
    /** Runs `line` until `done` holds (the ledger is read from Temporal's visibility, a moment behind a release's end). */
    const settled = (line: string, done: (r: Run) => boolean) =>
      eventually(async () => {
        const r = await idp(cwd, env, line);
        return r.code === 0 && done(r) && r;
      }, 30_000, line);
    /** Where the local runtime runs an environment (the API's runtime.url), once it runs. */
    const runningUrl = async (name: string) => {
      const alice = await stack.clientAs('alice');
      return eventually(async () => (await alice.listEnvironments({ repo: stack.demo.bare, path: 'paws.yaml' })).environments.find((e) => e.name === name)?.runtime?.url, 30_000, `${name} running`);
    };
    const signedIn = (who: string) => (r: Run) => assert.equal(r.stdout, `Signed in to ${stack.baseUrl} as ${who}.\n`, out(r));

    // What each line promises: checked on its output, then on the forge and main when it acts in the background.
    const promises: Record<string, (r: Run) => Promise<void> | void> = {
      'idp login': signedIn('user:development/guest'),
      'idp whoami': (r) => assert.match(r.stdout, /^user:development\/guest {2}\(user\)$/m, out(r)),
      'idp version': (r) => assert.match(r.stdout, /Backstage/, out(r)),
      'idp info': (r) => assert.match(r.stdout, /^Catalog +component:default\/checkout, owner group:default\/team-payments +\(its backstage.io\/source-location /m, out(r)),
      'idp env clone staging preview-1 --ttl 72h': (r) => assert.match(r.stdout, /pulls\/1\b/, out(r)),
      'idp pr diff 1': (r) => assert.match(r.stdout, /^\+ {2}preview-1:$/m, out(r)),
      'idp pr review 1 --approve': (r) => assert.equal(r.stderr, '', out(r)),
      'idp pr merge 1': (r) => assert.match(r.stdout, /^Merged PR #1 into main/m, out(r)),
      'idp env list': async (r) => {
        for (const name of ['staging', 'production', 'preview-1']) assert.match(r.stdout, new RegExp(`^${name}\\b`, 'm'), out(r));
        assert.match(r.stdout, /^preview-1\b.*\b(expires in|in) (2d|3d|71h|72h)/m, out(r));
        // Each runs under the embedded stack's local runtime (preview-1 within a moment of its merge).
        await settled('idp env list', (again) => ['staging', 'production', 'preview-1'].every((name) => new RegExp(`^${name}\\b.*running at http://127\\.0\\.0\\.1:\\d+`, 'm').test(again.stdout)));
      },
      'idp logs --env preview-1 --tail': (r) => {
        // Its lines as they come (`followed` made requests to preview-1 until one showed), Heroku's format; Ctrl-C → 130.
        assert.match(r.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ app\[web\.1\]: GET \/\?try-it 200 \d+ms$/m, out(r));
        assert.equal(r.code, 130, out(r));
      },
      'idp logs --env staging --since 1h --grep 404 -n 200': (r) => {
        const lines = r.stdout.split('\n').filter(Boolean);
        assert.ok(lines.length <= 200 && lines.every((l) => /^\S+Z app\[web\.1\]: .*404/.test(l)), out(r));
      },
      'idp metrics --env staging': (r) => {
        for (const m of ['Requests', 'Errors \\(5xx\\)', 'p95 latency', 'CPU', 'Memory']) assert.match(r.stdout, new RegExp(`^${m}\\s`, 'm'), out(r));
      },
      'idp releases create --env staging --image ghcr.io/acme/checkout:1.4.3': (r) => assert.match(r.stdout, /pulls\/2\b/, out(r)),
      'idp pr review 2 --approve': async (r) => {
        if (/^Your approval does not count/m.test(r.stderr)) {
          // Guest's own release (four eyes).
          assert.match(r.stderr, /^Your approval does not count: you requested this release \(four eyes/m, out(r));
          return;
        }
        assert.equal(r.stderr, '', `alice's approval counts, nothing to say\n${out(r)}`);
        await merged(2);
      },
      'idp login --user alice': signedIn('user:default/alice'),
      'idp releases': async () => {
        const r = await settled('idp releases', (x) => /merged \(current\)/.test(x.stdout));
        assert.match(r.stdout, /^=== staging {2}current v1: ghcr\.io\/acme\/checkout:1\.4\.3$/m, out(r));
        assert.match(r.stdout, /^v1 +ghcr\.io\/acme\/checkout:1\.4\.3 +#2 +user:development\/guest +user:default\/alice +.+ +merged \(current\)$/m, out(r));
      },
      'idp login --user guest': signedIn('user:development/guest'),
      'idp releases promote staging production': (r) => assert.match(r.stdout, /pulls\/3\b/, out(r)),
      'idp pr review 3 --approve': async (r) => {
        assert.equal(r.stderr, '', out(r));
        const n = (await pull(3)) as { reviews?: { by: string }[] };
        const by = new Set((n.reviews ?? []).map((x) => x.by));
        // Not in the README: someone outside the team is told their approval does not count.
        if (by.size === 1) {
          env.IDP_TOKEN = await stack.tokenFor('carol');
          const carol = await idp(cwd, env, 'idp pr review 3 --approve');
          delete env.IDP_TOKEN;
          assert.match(carol.stderr, /^Your approval does not count: you are not an allowed approver \(team-payments\)\./m, out(carol));
        } else {
          assert.equal((await pull(3)).state, 'open', 'production still waits for ci/build');
        }
      },
      'idp login --user bob': signedIn('user:default/bob'),
      'idp pr check 3 ci/build --success': async (r) => {
        assert.match(r.stdout, /^Reported ci\/build: success on PR #3 /m, out(r));
        await merged(3);
        assert.match(pawsOnMain(), /production:\n(?: {4}.*\n)*? {4}image: ghcr\.io\/acme\/checkout:1\.4\.3\n/, pawsOnMain());
      },
      'idp releases show v1 --env production': async () => {
        const r = await settled('idp releases show v1 --env production', (x) => /^Outcome +merged$/m.test(x.stdout));
        assert.match(r.stdout, /^Approved by +user:default\/alice, user:default\/bob$/m, out(r));
      },
      'idp templates': (r) => {
        for (const t of ['add-preview-environment', 'new-service', 'promote', 'release-to-environment']) assert.match(r.stdout, new RegExp(`^${t}\\b`, 'm'), out(r));
      },
      'idp search preview': (r) => assert.match(r.stdout, /^1 +Template +add-preview-environment .*title: Add a \*\*preview\*\* environment/m, `the preview template ranks first, its title matched\n${out(r)}`),
      'idp create add-preview-environment --set name=preview-7': async (r) => {
        // As bob (signed in last), for this folder's component (the CLI fills `component`): PR #4, with its log on stderr.
        assert.match(r.stdout, /^Pull request: \S+\/pulls\/4\b/m, out(r));
        assert.match(r.stderr, /component:default\/checkout/, out(r));
        const pr = (await pull(4)) as { state: string; author?: string; title?: string };
        assert.equal(pr.state, 'open');
        assert.equal(pr.author, 'user:default/bob', 'the task ran as the signed-in user');
      },
      'idp create new-service --set name=payments': async (r) => {
        assert.match(r.stdout, /^entityRef: component:default\/payments$/m, out(r));
        // A new repository on the local forge, in the catalog; a clone of it is that component for idp.
        const bare = join(stack.home, 'repos', 'payments.git');
        assert.match(r.stdout, new RegExp(`^repoUrl: \\S*${bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), out(r));
        const clone = join(home, 'payments');
        execFileSync('git', ['clone', '--quiet', bare, clone]);
        const info = await eventually(async () => {
          const x = await idp(clone, env, 'idp info');
          return x.code === 0 && /component:default\/payments/.test(x.stdout) && x;
        }, 60_000, 'the new component in the catalog');
        assert.match(info.stdout, /owner group:default\/team-payments/, out(info));
        const cloned = await idp(clone, env, 'idp env clone staging preview-1');
        assert.equal(cloned.code, 0, out(cloned));
        assert.match(cloned.stdout, /pulls\/1\b/, out(cloned));
      },
      'idp logout': (r) => assert.equal(r.code, 0, out(r)),
    };

    const ran: string[] = [];
    for (const line of tryItLines()) {
      if (line.startsWith('cd ') || line.startsWith('alias ')) continue; // the demo's working copy, and the bin: what idp() does
      for (const command of line.split('&&').map((c) => c.trim())) {
        const promise = promises[command];
        assert.ok(promise, `the test knows what "${command}" promises (a new line in README's "Try it"? add it here)`);
        if (process.env.IDP_TEST_VERBOSE) console.error(`$ ${command}`);
        const r =
          command === 'idp login'
            ? await browserLogin(cwd, env)
            : command.includes('--tail')
              ? await followed(cwd, env, command, /app\[web\.1\]: GET \/\?try-it /, async () => void (await fetch(`${await runningUrl('preview-1')}/?try-it`)))
              : await idp(cwd, env, command);
        if (process.env.IDP_TEST_VERBOSE) console.error(out(r));
        if (!command.includes('--tail')) assert.equal(r.code, 0, out(r));
        await promise(r);
        ran.push(command);
      }
    }
    assert.deepEqual([...new Set(ran)], Object.keys(promises), 'every promised line is in the README, in this order');
  });
});

/** `idp login` as a person does it: the CLI waits while they sign in in the browser (here Chromium) and choose Guest. */
async function browserLogin(cwd: string, env: Record<string, string>): Promise<Run> {
  let page: Promise<string> | undefined;
  let found: (url: string) => void = () => {};
  page = new Promise((resolve) => (found = resolve));
  const run = idp(cwd, env, 'idp login', (stderr) => {
    const m = /^ {2}(http:\/\/\S+)$/m.exec(stderr);
    if (m) found(m[1]!);
  });
  const url = await Promise.race([page, run.then((r) => Promise.reject(new Error(`idp login ended before printing its URL:\n${out(r)}`)))]);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const tab = await browser.newPage();
    await tab.goto(url);
    await tab.click('#guest');
    await tab.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\/callback\?/);
  } finally {
    await browser.close();
  }
  return run;
}
