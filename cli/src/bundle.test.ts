/**
 * The single-binary build's CommonJS bundle (scripts/build-cli-binaries.mjs `bundle()`), run by node: it answers as
 * the npm bin does (--version, --help), and a command talks to a server (a local stub of /health). The binaries
 * themselves are tested installed, in backstage-plugin/backend's e2e/cli-install.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from './testing/io.js';

const cliRoot = fileURLToPath(new URL('../', import.meta.url));
const script = pathToFileURL(path.join(cliRoot, '..', 'scripts', 'build-cli-binaries.mjs')).href;

function node(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = execFile(process.execPath, args, { cwd: tempDir(), env: { PATH: process.env.PATH, NO_COLOR: '1', ...env } }, (_e, out, err) =>
      resolve({ code: child.exitCode, out, err }),
    );
  });
}

describe('the single-binary bundle', () => {
  let bundle: string;
  before(async () => {
    const build = (await import(script)) as { bundle(): Promise<Uint8Array> };
    bundle = path.join(tempDir(), 'idp.cjs');
    writeFileSync(bundle, await build.bundle());
  });

  it('--version and --help answer as the npm bin does', async () => {
    const bin = path.join(cliRoot, 'bin', 'idp.js');
    for (const args of [['--version'], ['--help'], ['env', '--help']]) {
      const [a, b] = await Promise.all([node([bundle, ...args]), node([bin, ...args])]);
      assert.equal(a.code, 0, a.err);
      assert.equal(a.out, b.out, args.join(' '));
      assert.equal(a.err, '');
    }
  });

  it('runs a command against a server: idp version asks /health', async () => {
    const server = createServer((req, res) => {
      if (req.url !== '/api/idp/health') return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', version: '9.9.9', temporal: { reachable: true }, servedBy: { name: 'Backstage', version: '1.2.3' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/idp`;
      const r = await node([bundle, 'version', '--json'], { IDP_API_URL: url });
      assert.equal(r.code, 0, r.err);
      const v = JSON.parse(r.out) as { cli: { version: string }; api: { url: string }; server: { servedBy: unknown; apiVersion: string } };
      assert.equal(v.cli.version, '0.1.0');
      assert.equal(v.api.url, url);
      assert.deepEqual(v.server.servedBy, { name: 'Backstage', version: '1.2.3' });
      assert.equal(v.server.apiVersion, '9.9.9');
    } finally {
      server.close();
    }
  });
});
