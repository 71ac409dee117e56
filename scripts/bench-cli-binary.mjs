// Issue #13's single-binary figures (`npm run bench`, or alone: `node scripts/bench-cli-binary.mjs`): the binary's size
// per platform, and start-up of the host's binary (`idp --version`) vs the npm CLI (`node cli/bin/idp.js --version`)
// vs bare `node -e 0`: median of N runs each, interleaved so load on the machine hits all three alike, as ratios.
// Builds what is missing first (npm run build:cli; cached by input hash).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function cliBinaryRows(runs = Number(process.env.RUNS ?? 20)) {
  execFileSync(process.execPath, [path.join(root, 'scripts/build-cli-binaries.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const dir = path.join(root, 'dist/cli');
  const rows = [];
  for (const n of readdirSync(dir).filter((f) => /^idp-[a-z]+-[a-z0-9]+$/.test(f)).sort()) {
    rows.push([`binary size ${n}`, `${(statSync(path.join(dir, n)).size / 1e6).toFixed(1)} MB`, '(report; Node itself is most of it)']);
  }
  const host = `idp-${process.platform}-${process.arch}`;
  const cases = {
    binary: [path.join(dir, host), ['--version']],
    npm: [process.execPath, [path.join(root, 'cli/bin/idp.js'), '--version']],
    bare: [process.execPath, ['-e', '0']],
  };
  const times = { binary: [], npm: [], bare: [] };
  for (let i = 0; i < runs; i++) {
    for (const [name, [file, args]] of Object.entries(cases)) {
      const t = process.hrtime.bigint();
      const r = spawnSync(file, args, { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
      times[name].push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  const [b, n, z] = [median(times.binary), median(times.npm), median(times.bare)];
  rows.push([`${host} --version (median of ${runs})`, `${b.toFixed(0)} ms`, `≤ npm CLI's`]);
  rows.push(['node cli/bin/idp.js --version', `${n.toFixed(0)} ms`, '']);
  rows.push(['node -e 0', `${z.toFixed(0)} ms`, '(floor)']);
  rows.push(['binary / npm CLI, binary / node -e 0', `×${(b / n).toFixed(2)}, ×${(b / z).toFixed(2)}`, '≤ ×1.00 vs npm CLI']);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) for (const r of cliBinaryRows()) console.log(r.join('  '));
