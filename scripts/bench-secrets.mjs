// Issue #14's figures, on the embedded stack (`npm start`'s: Temporal, the worker, Backstage with the idp plugin, the
// SOPS + age store in IDP_HOME), signed in as alice:
//  - `idp secrets set KEY --env staging` → PR URL: the real CLI, a cold process each, the value on stdin; p50/p95 of
//    RUNS, each PR merged (untimed) before the next, as one pending secret PR per environment is allowed. Where the time
//    goes: node + the CLI's start (`idp --version`), and the API call itself in-process (store write + workflow start +
//    PR), p50.
//  - `idp secrets --env bench` with 200 keys: the real CLI, p50 of 15, and the GET itself in-process, p50 of 30. The 200
//    values are written to the store and their references committed to paws.yaml directly (untimed setup), not through
//    200 PRs. The SOPS store answers all 200 in one read of its repository: one store call, not 200.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePaws, setEnvironmentSecret, createEnvironment } from '@idp/core';
import { ensureEmbeddedSecretStore, secretStoresFrom } from '../providers/dist/secrets/index.js';
import { startEmbedded } from '../backstage-plugin/backend/dist/testing/embedded.js';
import { pct } from './bench-clone.mjs';

const idpBin = join(resolve('.'), 'cli/bin/idp.js');
const RUNS = Number(process.env.IDP_BENCH_SECRET_RUNS ?? 20);
const KEYS = 200;
const ms = (ns) => Number(ns) / 1e6;

function cli(args, { cwd, env, input }) {
  return new Promise((res, rej) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, [idpBin, ...args], { cwd, env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', rej);
    child.once('close', (code) => (code === 0 ? res({ out, ms: ms(process.hrtime.bigint() - t) }) : rej(new Error(`idp ${args.join(' ')} exited ${code}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

async function time(fn) {
  const t = process.hrtime.bigint();
  await fn();
  return ms(process.hrtime.bigint() - t);
}

async function until(what, fn, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function secretsRows() {
  const rows = [];
  const stack = await startEmbedded();
  const home = mkdtempSync(join(tmpdir(), 'idp-bench-secrets-'));
  try {
    const alice = await stack.clientAs('alice');
    const ref = { repo: stack.demo.bare, path: 'paws.yaml' };
    const env = { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', IDP_API_URL: stack.apiUrl, IDP_TOKEN: await stack.tokenFor('alice') };
    const cwd = stack.demo.workdir;
    const mergeWorkflow = async (status) => {
      await alice.merge(status.pr.number, ref);
      await until('the secret PR merged', async () => (await alice.workflow(status.workflowId)).status !== 'running');
    };

    // secrets set → PR URL, the real CLI.
    const setTimes = [];
    for (let i = 0; i <= RUNS; i++) {
      const { out, ms: t } = await cli(['secrets', 'set', 'BENCH_KEY', '--env', 'staging', '--json'], { cwd, env, input: `bench-${randomUUID()}` });
      const status = JSON.parse(out);
      if (i > 0) setTimes.push(t); // the first warms the stack's paths
      await mergeWorkflow(status);
    }
    const start = [];
    for (let i = 0; i < 10; i++) start.push((await cli(['--version'], { cwd, env })).ms);
    const inProcess = [];
    for (let i = 0; i < 10; i++) {
      let status;
      inProcess.push(await time(async () => (status = await alice.setSecret('staging', 'BENCH_KEY', { ...ref, value: `bench-${randomUUID()}` }))));
      await mergeWorkflow(status);
    }
    rows.push(['idp secrets set → PR URL, p50 (real CLI, value on stdin)', `${pct(setTimes, 50).toFixed(0)} ms`, '≤ 400 ms']);
    rows.push(['idp secrets set → PR URL, p95', `${pct(setTimes, 95).toFixed(0)} ms`, '']);
    rows.push(['  of which node + CLI start (idp --version), p50', `${pct(start, 50).toFixed(0)} ms`, '']);
    rows.push(['  of which the API call (store write, workflow, PR), in-process p50', `${pct(inProcess, 50).toFixed(0)} ms`, '']);

    // 200 keys in one environment: values written to the store, references committed straight to paws.yaml.
    const { stores } = { stores: secretStoresFrom(await ensureEmbeddedSecretStore(stack.home)) };
    const store = [...stores.values()][0];
    let text = execFileSync('git', ['show', 'main:paws.yaml'], { cwd: stack.demo.bare, encoding: 'utf8' });
    text = createEnvironment(text, { name: 'bench', now: new Date(), file: 'paws.yaml' }).text;
    const component = parsePaws(text).spec.metadata.name;
    for (let i = 0; i < KEYS; i++) {
      const put = await store.putVersion({ component, env: 'bench', key: `KEY_${i}` }, `value-${randomUUID()}`, randomUUID());
      text = setEnvironmentSecret(text, 'bench', `KEY_${i}`, put);
    }
    const work = join(home, 'work');
    execFileSync('git', ['clone', '--quiet', stack.demo.bare, work]);
    writeFileSync(join(work, 'paws.yaml'), text);
    execFileSync('git', ['-C', work, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '--quiet', '-am', 'bench: 200 secrets']);
    execFileSync('git', ['-C', work, 'push', '--quiet', 'origin', 'HEAD:main']);

    const listed = await alice.listSecrets(ref, 'bench');
    if (listed.secrets.length !== KEYS || !listed.secrets.every((s) => s.exists)) throw new Error(`expected ${KEYS} existing secrets, got ${listed.secrets.length}`);
    await cli(['secrets', '--env', 'bench'], { cwd, env });
    const listTimes = [];
    for (let i = 0; i < 15; i++) listTimes.push((await cli(['secrets', '--env', 'bench'], { cwd, env })).ms);
    const getTimes = [];
    for (let i = 0; i < 30; i++) getTimes.push(await time(() => alice.listSecrets(ref, 'bench')));
    rows.push([`idp secrets --env (${KEYS} keys), p50 (real CLI)`, `${pct(listTimes, 50).toFixed(0)} ms`, '≤ 300 ms']);
    rows.push([`  of which the GET (${KEYS} keys, one store read), in-process p50`, `${pct(getTimes, 50).toFixed(0)} ms`, '']);
  } finally {
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [a, b, c] of await secretsRows()) console.log(`${a.padEnd(70)}  ${b.padEnd(10)}  ${c}`);
}
