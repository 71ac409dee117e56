// `npm start` (`exec node scripts/start.mjs`): build, then run the embedded stack in this same process. npm passes the
// SIGINT or SIGTERM it gets (a supervisor's stop, an IDE's stop button, `kill <npm's pid>`) to its child alone, and
// that child is the `sh -c` running the script, which passes no signal on: as `tsc -b && node …`, node and the Temporal
// dev server outlived npm, holding their ports. `exec` makes this process npm's child, and it owns the stack
// (backstage-plugin/backend/src/start.ts stops all it started on a signal).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawn(process.execPath, [tsc, '-b'], { stdio: 'inherit' });
// A signal while building stops the build (a terminal's Ctrl-C reaches it too; a second SIGINT is harmless).
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const stopBuild = (signal) => build.kill(signal);
for (const s of signals) process.on(s, stopBuild);
const [code] = await once(build, 'exit');
for (const s of signals) process.off(s, stopBuild);
if (code !== 0) process.exit(code ?? 1);
// The Backstage app the banner's URL serves: built once (a few seconds), then only when its sources change.
try {
  (await import('./build-app.mjs')).buildApp();
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
// Should npm die without passing a signal on (SIGKILL, a crash), stop as if it had; Node has no parent-death signal.
const npm = process.ppid;
const orphaned = setInterval(() => {
  if (process.ppid === npm) return;
  clearInterval(orphaned);
  process.kill(process.pid, 'SIGTERM');
}, 1000).unref();
await import('../backstage-plugin/backend/dist/start.js');

// The stack is up (the banner is printed): now the CLI binaries the Download CLI page offers, in the background, with
// the stack's own Node. A no-op when its inputs are unchanged (build-cli-binaries.mjs keys each target by an input
// hash); the first time it fetches each platform's Node from the npm registry (through npm's cache) and takes minutes.
// IDP_BUILD_CLI=off skips it. Its own process group, so stopping the stack stops it and whatever it runs (npm pack…).
if (process.env.IDP_BUILD_CLI !== 'off') {
  const { mkdirSync, openSync } = await import('node:fs');
  const { join, resolve } = await import('node:path');
  const logs = resolve(process.env.IDP_HOME ?? '.idp', 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = join(logs, 'build-cli.log');
  const started = Date.now();
  const cliBuild = spawn(process.execPath, [new URL('./build-cli-binaries.mjs', import.meta.url).pathname], {
    stdio: ['ignore', openSync(logFile, 'w'), openSync(logFile, 'a')],
    detached: true,
  });
  const stopCliBuild = () => {
    try {
      process.kill(-cliBuild.pid, 'SIGTERM');
    } catch {
      // Already done.
    }
  };
  process.on('exit', stopCliBuild);
  cliBuild.on('exit', (code, signal) => {
    process.off('exit', stopCliBuild);
    if (signal) return; // stopped with the stack
    const s = ((Date.now() - started) / 1000).toFixed(0);
    console.log(code === 0 ? `[idp] CLI binaries ready for Download CLI (${s} s; ${logFile})` : `[idp] building the CLI binaries failed (exit ${code}); see ${logFile}`);
  });
}
