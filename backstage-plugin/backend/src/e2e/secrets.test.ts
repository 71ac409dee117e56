/**
 * Secrets through the embedded stack as `npm start` runs it — Backstage with the idp plugin (real sign-in, real
 * permissions with `ownersOnly: [prod*]`), the worker, the Temporal dev server, the demo repository — and its
 * embedded SOPS + age store in IDP_HOME, driven by the real `idp` bin.
 *
 * - 401 and 403 write nothing: no version in the store, no branch, no PR, no workflow.
 * - The canary scan: a unique value set through the CLI (stdin), its PR merged, a release made, and a variable refused
 *   as a secret (`idp variables set PAYMENT_API_TOKEN=sk_live_…`); then every git object
 *   of every repository under IDP_HOME (the secrets store's included: only ciphertext there), every byte of every file
 *   under IDP_HOME (Temporal's and Backstage's databases, logs, caches), the full history of every Temporal workflow,
 *   the stack's output and every CLI output: the value occurs 0 times. Each scan is shown to see what it should (the
 *   key's name, the store's ciphertext decrypting to the value) so a scan that reads nothing cannot pass.
 * - Merge then revert (a git revert on the repository): `idp secrets` shows the previous version again.
 * - The process holding the API and the worker killed right after the value was stored, before any workflow: after
 *   the restart the same request (its Idempotency-Key) finds its version and opens one PR; one stored version.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlatformClient } from '@idp/core/client';
import type { SecretList, WorkflowStatus } from '@idp/core';
import { canaryValue } from '@idp/providers/testing';
import { eventually } from '@idp/worker/testing';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const IDP = join(repoRoot, 'cli/bin/idp.js');
const TEMPORAL = process.env.TEMPORAL_CLI ?? join(repoRoot, '.tools/bin/temporal');
const SOPS = process.env.SOPS_BIN ?? 'sops';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every git directory under `dir`: bare repositories and working copies' .git. */
function gitDirs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const names = readdirSync(d);
    if (names.includes('HEAD') && names.includes('objects') && names.includes('refs')) out.push(d);
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory() && n !== 'objects') walk(p);
    }
  };
  walk(dir);
  return out;
}

/** Every regular file under `dir`. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * A history as `temporal workflow show -o json` prints it, with every payload's data (base64 there: inputs, results,
 * memos, search attributes, update arguments) decoded and appended, so a search sees what the workflow saw.
 */
function withPayloadsDecoded(json: string): string {
  const parts = [json];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= 8 && v.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(v)) parts.push(Buffer.from(v, 'base64').toString('utf8'));
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(JSON.parse(json));
  return parts.join('\n');
}

const count = (haystack: Buffer | string, needle: string) => {
  const h = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  let n = 0;
  for (let i = h.indexOf(needle); i >= 0; i = h.indexOf(needle, i + 1)) n++;
  return n;
};

describe('secrets on the embedded stack', () => {
  let stack: EmbeddedStack;
  let cliHome: string;
  const cliOutput: string[] = [];
  before(async () => {
    stack = await startEmbedded({ ownersOnly: ['prod*'] });
    cliHome = mkdtempSync(join(tmpdir(), 'idp-secrets-cli-'));
  });
  after(async () => {
    await stack?.stop();
    if (cliHome) rmSync(cliHome, { recursive: true, force: true });
  });

  const secretsRepo = () => join(stack.home, 'secrets.git');
  /** The SOPS store's commits, and the demo repository's refs: what a refused request must leave alone. */
  const written = () => ({
    store: execFileSync('git', ['--git-dir', secretsRepo(), 'log', '--all', '--format=%H'], { encoding: 'utf8' }),
    demo: execFileSync('git', ['--git-dir', stack.demo.bare, 'for-each-ref'], { encoding: 'utf8' }),
  });
  const idp = async (user: string, args: string[], stdin?: string): Promise<Run> => {
    const env = { PATH: process.env.PATH ?? '', HOME: cliHome, XDG_CONFIG_HOME: join(cliHome, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor(user) };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [IDP, ...args], { cwd: stack.demo.workdir, env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => {
        cliOutput.push(stdout, stderr);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(stdin ?? '');
    });
  };
  const call = async (user: string | undefined, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(user ? { authorization: `Bearer ${await stack.tokenFor(user)}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  };
  const demo = { repo: () => stack.demo.bare, q: () => `repo=${encodeURIComponent(stack.demo.bare)}&path=paws.yaml` };
  const list = async (env: string): Promise<SecretList> => JSON.parse((await idp('alice', ['secrets', '--env', env, '--json'])).stdout) as SecretList;
  const mergeAndWait = async (s: WorkflowStatus) => {
    const client = await stack.clientAs('alice');
    await client.merge(s.pr!.number, { repo: demo.repo() });
    return eventually(async () => {
      const w = await client.workflow(s.workflowId, 5);
      return w.status === 'completed' && w;
    }, 60_000, `${s.workflowId} to complete`);
  };

  it('401 without a token and 403 without idp.secret.write write nothing: no stored version, no branch, no PR', async () => {
    const before = written();
    const value = canaryValue();
    for (const [method, path, body] of [
      ['GET', `/environments/staging/secrets?${demo.q()}`, undefined],
      ['POST', '/environments/staging/secrets/STRIPE_KEY', { repo: demo.repo(), path: 'paws.yaml', value }],
      ['DELETE', `/environments/staging/secrets/STRIPE_KEY?${demo.q()}`, undefined],
    ] as const) {
      const r = await call(undefined, method, path, body);
      assert.equal(r.status, 401, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error!.message, /idp login/);
    }
    // carol is not in team-payments, which owns checkout: ownersOnly [prod*] holds her secret writes in production.
    const forbidden = await call('carol', 'POST', '/environments/production/secrets/STRIPE_KEY', { repo: demo.repo(), path: 'paws.yaml', value });
    assert.equal(forbidden.status, 403, JSON.stringify(forbidden.body));
    assert.match(forbidden.body.error!.message, /idp\.secret\.write/);
    assert.ok(!JSON.stringify(forbidden.body).includes(value));
    const unset = await call('carol', 'DELETE', `/environments/production/secrets/STRIPE_KEY?${demo.q()}`);
    assert.equal(unset.status, 403);
    const cli = await idp('carol', ['secrets', 'set', 'STRIPE_KEY', '--env', 'production'], value);
    assert.equal(cli.code, 5, cli.stderr);
    assert.match(cli.stderr, /idp\.secret\.write/);
    assert.deepEqual(written(), before);
    // Reading needs only what reading the component needs: carol sees the references (never values).
    assert.equal((await call('carol', 'GET', `/environments/production/secrets?${demo.q()}`)).status, 200);
  });

  it('a value on the command line is refused by the CLI (exit 2), not repeated, nothing sent', async () => {
    const before = written();
    const value = canaryValue();
    for (const args of [['secrets', 'set', `STRIPE_KEY=${value}`, '--env', 'staging'], ['secrets', 'set', 'STRIPE_KEY', value, '--env', 'staging']]) {
      const r = await idp('alice', args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /never goes on the command line/);
      assert.equal(count(r.stdout + r.stderr, value), 0);
    }
    assert.deepEqual(written(), before);
  });

  it('canary scan: set through the CLI, merged, released — the value is in no git object, file, workflow history or output', async () => {
    const value = canaryValue('canary-scan');
    const key = `CANARY_${Date.now()}`;
    const set = await idp('alice', ['secrets', 'set', key, '--env', 'staging', '--json'], `${value}\n`);
    assert.equal(set.code, 0, set.stderr);
    const status = JSON.parse(set.stdout) as WorkflowStatus;
    assert.equal(status.secret?.store, 'local');
    assert.ok(status.pr, 'the PR is open');
    assert.equal((await mergeAndWait(status)).phase, 'merged');
    const listed = (await list('staging')).secrets.find((s) => s.key === key);
    assert.deepEqual([listed?.store, listed?.exists, listed?.versionExists], ['local', true, true]);

    const release = await idp('alice', ['releases', 'create', '--env', 'staging', '--image', 'ghcr.io/acme/checkout:9.9.9', '--json']);
    assert.equal(release.code, 0, release.stderr);
    const rel = JSON.parse(release.stdout) as WorkflowStatus;
    const bob = await stack.clientAs('bob');
    const pr = await eventually(async () => (await bob.workflow(rel.workflowId, 5)).pr, 60_000, 'the release PR');
    await bob.review(pr.number, { repo: demo.repo(), event: 'approve' });
    await eventually(async () => (await bob.workflow(rel.workflowId, 5)).phase === 'merged', 60_000, 'the release merged');

    // A variable that is really a secret is refused, pointing at idp secrets set; its value must be nowhere either.
    const variable = `sk_live_${canaryValue('variable').replaceAll('-', '')}`;
    const refused = await idp('alice', ['variables', 'set', `PAYMENT_API_TOKEN=${variable}`, '--env', 'staging']);
    assert.notEqual(refused.code, 0, refused.stderr);
    assert.match(refused.stderr, /idp secrets set/);

    // Positive control: the store holds the value (encrypted), and decrypts to it with the stack's key.
    const file = `checkout/staging.enc.yaml`;
    const encrypted = execFileSync('git', ['--git-dir', secretsRepo(), 'show', `main:${file}`], { encoding: 'utf8' });
    assert.match(encrypted, new RegExp(`^${key}: ENC\\[`, 'm'));
    const copy = join(cliHome, 'staging.enc.yaml');
    writeFileSync(copy, encrypted);
    const decrypted = execFileSync(SOPS, ['decrypt', '--extract', `["${key}"]`, copy], {
      env: { PATH: process.env.PATH ?? '', HOME: cliHome, SOPS_AGE_KEY_FILE: join(stack.home, 'age.key') },
      encoding: 'utf8',
    });
    assert.equal(decrypted, value, 'the store decrypts to the value (the CLI dropped the newline echo would add)');

    // Every git object of every repository under IDP_HOME (the demo, the store, the store's private clone…).
    const dirs = gitDirs(stack.home);
    assert.ok(dirs.includes(stack.demo.bare) && dirs.includes(secretsRepo()), `found the repositories: ${dirs.join(', ')}`);
    let keySeenInGit = 0;
    for (const dir of dirs) {
      const objects = execFileSync('git', ['--git-dir', dir, 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 1 << 30 });
      assert.equal(count(objects, value), 0, `the value is in a git object of ${dir}`);
      assert.equal(count(objects, variable), 0, `the refused variable is in a git object of ${dir}`);
      keySeenInGit += count(objects, key);
    }
    assert.ok(keySeenInGit > 0, 'the scan reads git objects: the key name is there');

    // Every byte of every file under IDP_HOME: Temporal's and Backstage's SQLite files (and WAL), logs, caches.
    const all = files(stack.home);
    assert.ok(all.some((f) => f.startsWith(join(stack.home, 'logs'))), 'there are logs');
    let keySeenInFiles = 0;
    for (const f of all) {
      const bytes = readFileSync(f);
      assert.equal(count(bytes, value), 0, `the value is in ${f}`);
      assert.equal(count(bytes, variable), 0, `the refused variable is in ${f}`);
      if (!dirs.some((d) => f.startsWith(d + '/'))) keySeenInFiles += count(bytes, key);
    }
    assert.ok(keySeenInFiles > 0, 'the scan reads the files outside git too (Temporal\'s database has the key name)');

    // The full history of every workflow the stack ran.
    const temporal = (...args: string[]) => execFileSync(TEMPORAL, [...args, '--address', stack.temporalAddress, '-o', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const listing = temporal('workflow', 'list', '--limit', '10000').trim();
    const ids = [...new Set([...listing.matchAll(/"workflowId":\s*"([^"]+)"/g)].map((m) => m[1]!))];
    assert.ok(ids.includes(status.workflowId) && ids.includes(rel.workflowId), `listed the workflows: ${ids.join(', ')}`);
    let keySeenInHistory = 0;
    for (const id of ids) {
      const history = withPayloadsDecoded(temporal('workflow', 'show', '--workflow-id', id));
      assert.equal(count(history, value), 0, `the value is in the history of ${id}`);
      assert.equal(count(history, variable), 0, `the refused variable is in the history of ${id}`);
      keySeenInHistory += count(history, key);
    }
    assert.ok(keySeenInHistory > 0, 'the scan reads histories: the key name is there');

    // What Backstage and the stack printed, and everything every CLI run printed.
    assert.equal(count(stack.output(), value), 0, 'the value is in the stack\'s output');
    assert.equal(count(stack.output(), variable), 0, 'the refused variable is in the stack\'s output');
    assert.ok(cliOutput.join('').includes(key), 'the CLI output is collected');
    assert.equal(count(cliOutput.join(''), value), 0, 'the value is in a CLI output');
    assert.equal(count(cliOutput.join(''), variable), 0, 'the refused variable is in a CLI output');
  });

  it('merge then revert (a git revert on the repository): idp secrets shows the previous version', async () => {
    const key = 'ROTATED_KEY';
    const first = JSON.parse((await idp('alice', ['secrets', 'set', key, '--env', 'staging', '--json'], canaryValue())).stdout) as WorkflowStatus;
    await mergeAndWait(first);
    const second = JSON.parse((await idp('alice', ['secrets', 'set', key, '--env', 'staging', '--json'], canaryValue())).stdout) as WorkflowStatus;
    const merged = await mergeAndWait(second);
    assert.notEqual(second.secret!.version, first.secret!.version);
    assert.equal((await list('staging')).secrets.find((s) => s.key === key)?.version, second.secret!.version);

    // Someone reverts the merge on the repository itself, as one reverts any commit.
    const wc = mkdtempSync(join(tmpdir(), 'idp-revert-'));
    try {
      const g = (...args: string[]) => execFileSync('git', ['-C', wc, '-c', 'user.name=Ops', '-c', 'user.email=ops@example.com', ...args], { encoding: 'utf8' });
      execFileSync('git', ['clone', '--quiet', stack.demo.bare, wc]);
      const mergeSha = (await (await stack.clientAs('alice')).pull({ repo: demo.repo() }, merged.pr!.number)).mergeSha!;
      g('revert', '--no-edit', '-m', '1', mergeSha);
      g('push', '--quiet', 'origin', 'HEAD:main');
    } finally {
      rmSync(wc, { recursive: true, force: true });
    }
    const after = (await list('staging')).secrets.find((s) => s.key === key);
    assert.equal(after?.version, first.secret!.version);
    assert.deepEqual([after?.exists, after?.versionExists], [true, true], 'the previous version is still in the store');
  });

  it('the process with the API and the worker killed right after the store write: after the restart the same request opens one PR, one stored version', async () => {
    const key = 'AFTER_CRASH';
    const value = canaryValue();
    const idempotencyKey = `crash-${Date.now()}`;
    const storeCommits = () => execFileSync('git', ['--git-dir', secretsRepo(), 'log', '--format=%H', '--grep', `Set ${key} of checkout/staging`, 'main'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    await stack.crashAndRestart({ IDP_FAULT: 'after-store-write' });
    const request = (token: string) => new PlatformClient({ baseUrl: stack.apiUrl, token, idempotencyKey, retries: 0 }).setSecret('staging', key, { repo: demo.repo(), path: 'paws.yaml', value });
    await assert.rejects(request(await stack.tokenFor('alice')), /Cannot reach the idp Platform API/);
    assert.equal(storeCommits().length, 1, 'the value was stored before the process died');
    assert.equal(execFileSync('git', ['--git-dir', stack.demo.bare, 'branch', '--list', 'idp/env-secrets/*'], { encoding: 'utf8' }).trim(), '', 'no workflow got as far as a branch');

    await stack.crashAndRestart({ IDP_FAULT: '' });
    const answer = await request(await stack.tokenFor('alice'));
    assert.equal(answer.joined, false);
    assert.ok(answer.pr, 'the PR is open');
    assert.equal(storeCommits().length, 1, 'exactly one stored version');
    assert.equal(answer.secret?.version, storeCommits()[0]);
    const pulls = (await (await stack.clientAs('alice')).listPulls({ repo: demo.repo() }, 'all')).filter((p) => p.head === 'idp/env-secrets/checkout/staging' && p.state === 'open');
    assert.equal(pulls.length, 1, 'exactly one PR');
    assert.equal(count(stack.output(), value), 0);
  });
});
