/**
 * The README's "Try it", line by line, as a new user runs it: read from
 * README.md, run with the real `idp` bin in the demo `npm start` seeds
 * (seedDemo, templates/checkout/paws.yaml) against a stack serving the demo's
 * team (demoTeams) — to the result each line promises, ending with production
 * merged. A line the test does not know fails it: a changed "Try it" needs its promise here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoTeams, seedDemo } from '../embedded/demo.js';
import { embeddedApiToken } from '../embedded/api-token.js';
import { startTestStack, type TestStack } from '../testing/stack.js';
import { eventually, git } from './fixtures.js';

const IDP = fileURLToPath(new URL('../../../cli/bin/idp.js', import.meta.url));
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));
/** Who runs the lines without IDP_USER=…: the person trying idp (npm start's default user, from git config). */
const YOU = 'you@example.com';

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

/** Runs one `[VAR=value ...] idp args...` as the shell would (words split on spaces: the lines quote nothing). */
function idp(cwd: string, env: Record<string, string>, command: string): Promise<Run> {
  const words = command.split(/\s+/);
  const vars: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0]!)) {
    const [k, ...v] = words.shift()!.split('=');
    vars[k!] = v.join('=');
  }
  assert.equal(words.shift(), 'idp', `a line of "Try it" runs idp: ${command}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [IDP, ...words], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env, ...vars } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ line: command, code, stdout, stderr }));
  });
}

const out = (r: Run) => `$ ${r.line}\nexit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;

describe('the README\'s "Try it"', () => {
  let stack: TestStack;
  let home: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'idp-try-it-'));
    // The teams `npm start` serves when IDP_TEAMS is not set, and its shared secret in IDP_HOME/api-token (needed only to name another user).
    stack = await startTestStack({ teams: demoTeams(undefined, () => {}), apiToken: embeddedApiToken(home), secretRequired: false });
  });
  after(async () => {
    await stack?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('runs line by line to what each line promises, ending with production merged', async () => {
    const demo = seedDemo(home);
    const env: Record<string, string> = { IDP_API_URL: stack.api.url, IDP_USER: YOU };
    const ref = { repo: demo.bare };
    const merged = (n: number) => eventually(async () => (await stack.client.pull(ref, n)).state === 'merged', 20_000, `PR #${n} merged`);
    const pawsOnMain = () => git(demo.bare, 'show', 'main:paws.yaml');
    /** Runs `line` until `done` holds (the ledger is read from Temporal's visibility, a moment behind a release's end). */
    const settled = (line: string, done: (r: Run) => boolean) =>
      eventually(async () => {
        const r = await idp(demo.workdir, env, line);
        return r.code === 0 && done(r) && r;
      }, 15_000, line);

    // What each line promises: checked on its output, then on the forge and main when it acts in the background.
    const promises: Record<string, (r: Run) => Promise<void> | void> = {
      'idp env clone staging preview-1 --ttl 72h': (r) => assert.match(r.stdout, /pulls\/1\b/, out(r)),
      'idp pr diff 1': (r) => assert.match(r.stdout, /^\+ {2}preview-1:$/m, out(r)),
      'idp pr review 1 --approve': (r) => assert.equal(r.stderr, '', out(r)),
      'idp pr merge 1': (r) => assert.match(r.stdout, /^Merged PR #1 into main/m, out(r)),
      'idp env list': (r) => {
        for (const name of ['staging', 'production', 'preview-1']) assert.match(r.stdout, new RegExp(`^${name}\\b`, 'm'), out(r));
        assert.match(r.stdout, /^preview-1\b.*\b(expires in|in) (2d|3d|71h|72h)/m, out(r));
      },
      'idp releases create --env staging --image ghcr.io/acme/checkout:1.4.3': (r) => assert.match(r.stdout, /pulls\/2\b/, out(r)),
      'IDP_USER=alice idp pr review 2 --approve': async (r) => {
        assert.equal(r.stderr, '', `alice's approval counts, nothing to say\n${out(r)}`);
        await merged(2);
      },
      'idp releases': async () => {
        const r = await settled('idp releases', (x) => /merged \(current\)/.test(x.stdout));
        assert.match(r.stdout, /^=== staging {2}current v1: ghcr\.io\/acme\/checkout:1\.4\.3$/m, out(r));
        assert.match(r.stdout, /^v1 +ghcr\.io\/acme\/checkout:1\.4\.3 +#2 +you@example\.com +alice +.+ +merged \(current\)$/m, out(r));
      },
      'idp releases promote staging production': (r) => assert.match(r.stdout, /pulls\/3\b/, out(r)),
      'idp pr review 3 --approve': async (r) => {
        assert.match(r.stdout, /^Approved PR #3: /m, out(r));
        assert.match(r.stderr, /^Your approval does not count: you requested this release \(four eyes/m, out(r));
        assert.match(r.stderr, /still waits for: 2 more approvals from team-payments; check ci\/build \(not reported yet\)\.$/m, out(r));
        // Not in the README: someone outside the team is told so too.
        const carol = await idp(demo.workdir, env, 'IDP_USER=carol idp pr review 3 --approve');
        assert.equal(carol.code, 0, out(carol));
        assert.match(carol.stderr, /^Your approval does not count: you are not an allowed approver \(team-payments\)\./m, out(carol));
      },
      'IDP_USER=alice idp pr review 3 --approve': (r) => assert.equal(r.stderr, '', out(r)),
      'IDP_USER=bob idp pr review 3 --approve': async (r) => {
        assert.equal(r.stderr, '', out(r));
        assert.equal((await stack.client.pull(ref, 3)).state, 'open', 'production still waits for ci/build');
      },
      'idp pr check 3 ci/build --success': async (r) => {
        assert.match(r.stdout, /^Reported ci\/build: success on PR #3 /m, out(r));
        await merged(3);
        assert.match(pawsOnMain(), /production:\n(?: {4}.*\n)*? {4}image: ghcr\.io\/acme\/checkout:1\.4\.3\n/, pawsOnMain());
      },
      'idp releases show v1 --env production': async () => {
        const r = await settled('idp releases show v1 --env production', (x) => /^Outcome +merged$/m.test(x.stdout));
        assert.match(r.stdout, /^Approved by +alice, bob$/m, out(r));
      },
    };

    const ran: string[] = [];
    for (const line of tryItLines()) {
      if (line.startsWith('cd ') || line.startsWith('alias ')) continue; // the demo's working copy, and the bin: what idp() does
      const exported = /^export ([A-Z_]+)=\$\(cat (\S+)\)$/.exec(line);
      if (exported) {
        env[exported[1]!] = readFileSync(resolve(demo.workdir, exported[2]!), 'utf8').trim();
        continue;
      }
      for (const command of line.split('&&').map((c) => c.trim())) {
        const promise = promises[command];
        assert.ok(promise, `the test knows what "${command}" promises (a new line in README's "Try it"? add it here)`);
        const r = await idp(demo.workdir, env, command);
        assert.equal(r.code, 0, out(r));
        await promise(r);
        ran.push(command);
      }
    }
    assert.deepEqual(ran, Object.keys(promises), 'every promised line is in the README, in this order');
  });
});
