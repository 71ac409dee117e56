/**
 * The single-binary CLI as a developer gets it from the embedded Backstage: `curl -fsSL <backstage>/api/idp/cli/install.sh | sh`
 * in a temp HOME installs the host's binary (built here by scripts/build-cli-binaries.mjs, host target only: the
 * four platforms are `npm run build:cli`'s), verified against SHA256SUMS; the installed `idp` names the Backstage it
 * came from and signs in to it. A binary that does not match SHA256SUMS is refused; none built → 503 saying how.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEmbedded, type EmbeddedStack } from '../testing/embedded.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const HOST = `idp-${process.platform}-${process.arch}`;

const run = (file: string, args: string[], opts: { env: Record<string, string>; cwd?: string; input?: string }) =>
  new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const child = execFile(file, args, { env: opts.env, cwd: opts.cwd }, (error, out, err) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, out, err }),
    );
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });

describe('the idp CLI installed from Backstage (install.sh, single binary)', () => {
  let stack: EmbeddedStack;
  let served: string;
  let home: string;
  let env: Record<string, string>;
  const curlInstall = (extra: Record<string, string> = {}) =>
    run('/bin/sh', ['-c', `curl -fsSL ${stack.apiUrl}/cli/install.sh | sh`], { env: { ...env, ...extra } });

  before(async () => {
    // The host's binary, built (or found up to date) in dist/cli; the stack serves a copy from a directory of its own.
    execFileSync(process.execPath, [join(root, 'scripts/build-cli-binaries.mjs'), '--targets', HOST.slice(4)], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });
    served = mkdtempSync(join(tmpdir(), 'idp-cli-served-'));
    home = mkdtempSync(join(tmpdir(), 'idp-cli-home-'));
    env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), NO_COLOR: '1', BROWSER: 'none' };
    stack = await startEmbedded({ env: { APP_CONFIG_idp_cli_directory: served } });
  });
  after(async () => {
    await stack?.stop();
    for (const d of [served, home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('answers 503 with how to build them while no binary is built, and install.sh says so', async () => {
    const sums = await fetch(`${stack.apiUrl}/cli/SHA256SUMS`);
    assert.equal(sums.status, 503);
    assert.match(((await sums.json()) as { error: { message: string } }).error.message, /npm run build:cli/);
    assert.equal((await fetch(`${stack.apiUrl}/cli/${HOST}`)).status, 503);
    const r = await curlInstall();
    assert.notEqual(r.code, 0);
    assert.match(r.err, /serves no idp binaries .*npm run build:cli/);
    assert.equal(existsSync(join(home, '.idp')), false);
  });

  it('serves install.sh, SHA256SUMS and the binaries without a token; anything else is a 404', async () => {
    copyFileSync(join(root, 'dist/cli', HOST), join(served, HOST));
    const line = readFileSync(join(root, 'dist/cli/SHA256SUMS'), 'utf8').split('\n').find((l) => l.endsWith(`  ${HOST}`));
    assert.ok(line, `dist/cli/SHA256SUMS lists ${HOST}`);
    writeFileSync(join(served, 'SHA256SUMS'), `${line}\n`);

    const script = await fetch(`${stack.apiUrl}/cli/install.sh`);
    assert.equal(script.status, 200);
    assert.match(await script.text(), new RegExp(`^#!/bin/sh\\n[^]*set -eu\\n[^]*API_URL='${stack.apiUrl}'`));
    assert.equal(await (await fetch(`${stack.apiUrl}/cli/SHA256SUMS`)).text(), `${line}\n`);
    const bin = await fetch(`${stack.apiUrl}/cli/${HOST}`);
    assert.equal(bin.status, 200);
    assert.equal(Number(bin.headers.get('content-length')), readFileSync(join(served, HOST)).length);
    await bin.body?.cancel();
    const other = HOST === 'idp-linux-arm64' ? 'idp-darwin-x64' : 'idp-linux-arm64';
    const missing = await fetch(`${stack.apiUrl}/cli/${other}`);
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /not built on this Backstage: run `npm run build:cli`/);
    assert.equal((await fetch(`${stack.apiUrl}/cli/..%2F..%2Fpackage.json`)).status, 404);
  });

  it('lists what is built for the Download CLI page, without a token: size and SHA-256 per platform, the missing ones, a running build', async () => {
    type Index = { version: string | null; building: boolean; platforms: { platform: string; built: boolean; size?: number; sha256?: string }[] };
    const index = async () => {
      const r = await fetch(`${stack.apiUrl}/cli/index.json`);
      assert.equal(r.status, 200);
      return (await r.json()) as Index;
    };
    const sha = readFileSync(join(served, 'SHA256SUMS'), 'utf8').split(' ')[0];
    const first = await index();
    assert.deepEqual(
      first.platforms.map((p) => [p.platform, p.built]),
      ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'].map((p) => [p, `idp-${p}` === HOST]),
    );
    const host = first.platforms.find((p) => `idp-${p.platform}` === HOST)!;
    assert.deepEqual([host.size, host.sha256], [readFileSync(join(served, HOST)).length, sha]);
    assert.deepEqual([first.version, first.building], [null, false]);

    // A build running (npm start's, in the background): its marker names a live process.
    writeFileSync(join(served, 'BUILDING'), `${process.pid}\n`);
    writeFileSync(join(served, 'VERSION'), '0.1.0\n');
    assert.deepEqual([(await index()).building, (await index()).version], [true, '0.1.0']);
    // A build that was killed leaves its marker naming a process that is gone.
    const gone = execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }).trim();
    writeFileSync(join(served, 'BUILDING'), `${gone}\n`);
    assert.equal((await index()).building, false);
    rmSync(join(served, 'BUILDING'));
  });

  it('curl | sh installs the verified binary to ~/.idp/bin, pointed at this Backstage; idp login and idp env list work', async () => {
    const r = await curlInstall();
    assert.equal(r.code, 0, r.err);
    const idp = join(home, '.idp/bin/idp');
    assert.match(r.out, new RegExp(`Installed idp 0\\.1\\.0 to ${idp} \\(checksum verified\\), pointed at ${stack.baseUrl}`));
    assert.match(r.out, /Add it to your PATH[^]*export PATH="[^"]*\.idp\/bin:\$PATH"/);
    assert.deepEqual(JSON.parse(readFileSync(join(home, '.idp/bin/idp.json'), 'utf8')), { apiUrl: stack.apiUrl, backstage: stack.baseUrl });

    const version = await run(idp, ['version'], { env });
    assert.equal(version.code, 0, version.err);
    assert.match(version.out, new RegExp(`API\\s+${stack.apiUrl}\\s+\\(installed from this Backstage`));
    assert.match(version.out, /Served by\s+Backstage \d+\.\d+/);
    // Which Backstage: its app's URL (app.baseUrl), the one `idp open` opens.
    assert.ok(version.out.includes(` at ${stack.baseUrl}\n`), version.out);

    const login = await run(idp, ['login', '--user', 'alice'], { env });
    assert.equal(login.code, 0, login.err);
    const list = await run(idp, ['env', 'list'], { env, cwd: stack.demo.workdir });
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /staging/);
    // IDP_API_URL still wins over the installed default.
    const elsewhere = await run(idp, ['version', '--json'], { env: { ...env, IDP_API_URL: 'http://127.0.0.1:9/api/idp' } });
    assert.equal((JSON.parse(elsewhere.out) as { api: { url: string } }).api.url, 'http://127.0.0.1:9/api/idp');
  });

  it('refuses a binary that does not match SHA256SUMS, installing nothing', async () => {
    writeFileSync(join(served, 'SHA256SUMS'), `${'0'.repeat(64)}  ${HOST}\n`);
    const dir = join(home, 'elsewhere');
    const r = await curlInstall({ IDP_INSTALL_DIR: dir });
    assert.notEqual(r.code, 0);
    assert.match(r.err, new RegExp(`checksum mismatch for ${HOST} \\(expected 0{64}, got [0-9a-f]{64}\\): not installed`));
    assert.equal(existsSync(dir), false);
  });

  it('installs to IDP_INSTALL_DIR, already on PATH: then only says to log in', async () => {
    writeFileSync(join(served, 'SHA256SUMS'), readFileSync(join(root, 'dist/cli/SHA256SUMS'), 'utf8'));
    const dir = join(home, 'tools bin');
    mkdirSync(dir);
    const r = await curlInstall({ IDP_INSTALL_DIR: dir, PATH: `${dir}:${env.PATH}` });
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /Add it to your PATH/);
    assert.match(r.out, /Next: idp login/);
    const v = await run(join(dir, 'idp'), ['--version'], { env });
    assert.equal(v.out.trim(), 'idp, 0.1.0');
  });
});
