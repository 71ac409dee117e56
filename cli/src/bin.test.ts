/**
 * The real bin (cli/bin/idp.js → dist/main.js) in a child process: --version
 * and --help, and proof that start-up stays light: neither statically nor at
 * run time does `idp --version` reach zod, yaml, @temporalio or a command module.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import module, { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from './testing/io.js';

const cliRoot = fileURLToPath(new URL('../', import.meta.url));
const bin = path.join(cliRoot, 'bin', 'idp.js');
const version = (JSON.parse(readFileSync(path.join(cliRoot, 'package.json'), 'utf8')) as { version: string }).version;
const HEAVY = /\/node_modules\/(zod|yaml|@temporalio)\//;

function node(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = execFile(process.execPath, args, { cwd: tempDir(), env: { PATH: process.env.PATH, ...env } }, (_e, out, err) =>
      resolve({ code: child.exitCode, out, err }),
    );
  });
}

describe('bin', () => {
  it('--version', async () => {
    const r = await node([bin, '--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `idp, ${version}\n`);
    assert.equal(r.err, '');
  });

  it('--help lists the commands, the environment and the exit codes', async () => {
    const r = await node([bin, '--help']);
    assert.equal(r.code, 0, r.err);
    for (const cmd of ['info', 'activity', 'env list', 'env clone', 'env create', 'env destroy', 'env extend', 'pr list', 'pr show', 'pr diff', 'pr review', 'pr merge', 'pr close', 'releases list', 'releases create', 'releases promote', 'releases rollback', 'releases show']) {
      assert.match(r.out, new RegExp(`^    ${cmd}\\s{2,}\\S`, 'm'), cmd);
    }
    assert.match(r.out, /IDP_API_URL/);
    assert.match(r.out, /Exit codes\n    0  success/);
    assert.match(r.out, /^    7  the PR was closed without being merged/m);
    assert.match(r.out, /^    8  the release was rejected/m);
    assert.match(r.out, /^    9  the release timed out/m);
    const none = await node([bin]);
    assert.equal(none.code, 0);
    assert.equal(none.out, r.out);
  });

  it('noun help and command help', async () => {
    const env = await node([bin, 'env']);
    assert.equal(env.code, 0);
    assert.match(env.out, /\$ idp env <command>/);
    assert.match(env.out, /env clone\s+Clone an environment/);
    assert.doesNotMatch(env.out, /pr merge/);
    const releases = await node([bin, 'releases', '--help']);
    assert.equal(releases.code, 0);
    assert.match(releases.out, /releases promote\s+Set <target> to exactly what <source> runs now/);
    const promote = await node([bin, 'releases', 'promote', '--help']);
    assert.match(promote.out, /\$ idp releases promote <source> <target> \[options\]/);
    assert.match(promote.out, /--wait .*rejected \(8\), timed out \(9\)/);
    const clone = await node([bin, 'help', 'env', 'clone']);
    assert.equal(clone.code, 0);
    assert.match(clone.out, /\$ idp env clone <source> <target> \[options\]/);
    assert.match(clone.out, /--wait/);
  });

  it('usage errors exit 2 on stderr', async () => {
    const r = await node([bin, 'env', 'frobnicate']);
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /^idp: Unknown command: env frobnicate\n/);
    const near = await node([bin, 'releses']);
    assert.equal(near.code, 2);
    assert.equal(near.out, '');
    assert.match(near.err, /^idp: Unknown command: releses\. Did you mean `idp releases`\?\n/);
  });

  it('--version loads nothing heavy at run time', { skip: typeof module.register !== 'function' && 'needs module.register (Node >= 20.6)' }, async () => {
    // A resolve hook (module.register: Node 20.6+ and 24) logs every module resolved, dynamic imports included.
    const log = path.join(tempDir(), 'loaded.txt');
    const hooks = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}`;
    const register = `import { register } from 'node:module'; register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(hooks))});`;
    const r = await node(['--no-warnings', '--import', `data:text/javascript,${encodeURIComponent(register)}`, bin, '--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `idp, ${version}\n`);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(loaded.some((u) => u.endsWith('/cli/dist/main.js')), 'the hook saw main.js');
    assert.ok(loaded.some((u) => u.includes('/sade/')), 'the hook saw sade');
    assert.deepEqual(loaded.filter((u) => HEAVY.test(u)), []);
    assert.deepEqual(loaded.filter((u) => u.includes('/cli/dist/commands/') || u.endsWith('/context.js')), [], 'no command module');
  });

  it('the static import graph of main.js does not reach zod, yaml or @temporalio', () => {
    const seen = new Set<string>();
    const heavy: string[] = [];
    const visit = (file: string, from: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, 'utf8');
      // Static imports, re-exports and require() calls; `import(...)` is lazy by design. Type imports are gone from compiled JS.
      const esm = [...src.matchAll(/^\s*(?:import|export)\s*(?:[^'";]*?\s*from\s*)?['"]([^'"]+)['"]/gm)].map((m) => ({ spec: m[1]!, cjs: false }));
      const cjs = [...src.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => ({ spec: m[1]!, cjs: true }));
      for (const { spec, cjs: isRequire } of [...esm, ...cjs]) {
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        if (/^(zod|yaml|@temporalio)(\/|$)/.test(spec)) {
          heavy.push(`${path.relative(cliRoot, file)} imports ${spec} (via ${from})`);
          continue;
        }
        // Bare specifiers resolve the same from cli/dist and core/dist (hoisted node_modules).
        const target = isRequire
          ? module.createRequire(file).resolve(spec)
          : fileURLToPath(spec.startsWith('.') ? new URL(spec, pathToFileURL(file)).href : import.meta.resolve(spec));
        if (HEAVY.test(target)) heavy.push(`${path.relative(cliRoot, file)} → ${target}`);
        else if (existsSync(target)) visit(target, file);
      }
    };
    visit(path.join(cliRoot, 'dist', 'main.js'), 'bin');
    assert.deepEqual(heavy, []);
    const files = [...seen].map((f) => path.relative(cliRoot, f));
    assert.ok(files.includes(path.join('dist', 'exit-codes.js')));
    assert.ok(files.some((f) => f.includes(`sade${path.sep}lib`)), 'sade');
    assert.ok(files.some((f) => f.includes(`${path.sep}mri${path.sep}`)), 'sade requires mri');
    assert.ok(!files.some((f) => f.includes(`dist${path.sep}commands`)), 'commands are loaded lazily');
  });
});
