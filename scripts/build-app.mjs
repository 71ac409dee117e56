// The Backstage app (backstage-plugin/app) as static files for the embedded backend's app plugin to serve: built by
// `backstage-cli package build` (rspack) once, and again only when what goes into it changed — its sources, the idp
// frontend plugin's, what it imports of ours (@idp/core, @idp/providers/repo-identity), or the lockfile. The config baked in at build time does not
// matter: the app plugin injects the running backend's config (app.baseUrl, backend.baseUrl) when it serves the app.
//
//   node scripts/build-app.mjs [--force]      (npm start and npm test run it; a no-op when nothing changed)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const appDir = path.join(root, 'backstage-plugin/app');
const stamp = path.join(appDir, 'dist/.inputs-sha256');
const INPUTS = ['backstage-plugin/app/src', 'backstage-plugin/app/public', 'backstage-plugin/app/package.json', 'backstage-plugin/idp/src', 'backstage-plugin/idp/package.json', 'core/src', 'providers/src/repo-identity.ts', 'package-lock.json', 'app-config.yaml'];

function* files(p) {
  if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) yield* files(path.join(p, e));
  else if (!/\.test\.tsx?$/.test(p)) yield p;
}

export function appInputsHash() {
  const h = createHash('sha256');
  for (const input of INPUTS) for (const f of files(path.join(root, input))) h.update(path.relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

export function buildApp({ force = false, log = console.log } = {}) {
  const hash = appInputsHash();
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return { built: false };
  const started = Date.now();
  log('[idp] building the Backstage app (backstage-plugin/app; once, and again only when its sources change) …');
  const cli = createRequire(import.meta.url).resolve('@backstage/cli/bin/backstage-cli');
  // app-config.yaml's ${…} need values at build time; the served app gets the running backend's instead.
  const env = { ...process.env, IDP_API_PORT: process.env.IDP_API_PORT ?? '7007', IDP_HOME: process.env.IDP_HOME ?? root, IDP_TEMPORAL_PORT: process.env.IDP_TEMPORAL_PORT ?? '7233', IDP_TEMPLATES: process.env.IDP_TEMPLATES ?? root };
  const r = spawnSync(process.execPath, [cli, 'package', 'build', '--config', path.join(root, 'app-config.yaml')], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`Building the Backstage app failed:\n${(r.stderr || r.stdout).slice(-4000)}`);
  writeFileSync(stamp, hash);
  log(`[idp] Backstage app built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { built: true, ms: Date.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    buildApp({ force: process.argv.includes('--force') });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
