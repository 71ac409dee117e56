// `node scripts/bench-cli-binary.mjs`: the single-binary CLI's sizes per platform and start-up of the host's binary
// (`idp --version`) vs the npm CLI (`node cli/bin/idp.js --version`) vs bare `node -e 0`: median of N runs each,
// interleaved so load on the machine hits all three alike. Builds what is missing first (npm run build:cli).
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.RUNS ?? 20);
execFileSync(process.execPath, [path.join(root, 'scripts/build-cli-binaries.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'ignore'] });

const dir = path.join(root, 'dist/cli');
console.log('Binary sizes');
for (const n of readdirSync(dir).filter((f) => /^idp-[a-z]+-[a-z0-9]+$/.test(f)).sort()) console.log(`  ${n.padEnd(18)} ${(statSync(path.join(dir, n)).size / 1e6).toFixed(1)} MB`);

const cases = {
  [`binary (dist/cli/idp-${process.platform}-${process.arch} --version)`]: [path.join(dir, `idp-${process.platform}-${process.arch}`), ['--version']],
  'npm CLI (node cli/bin/idp.js --version)': [process.execPath, [path.join(root, 'cli/bin/idp.js'), '--version']],
  'bare node (node -e 0)': [process.execPath, ['-e', '0']],
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const [name, [file, args]] of Object.entries(cases)) {
    const t = process.hrtime.bigint();
    const r = spawnSync(file, args, { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    times[name].push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median([...times['bare node (node -e 0)']]);
console.log(`Start-up, median of ${runs}`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(`  ${name.padEnd(48)} ${m.toFixed(1).padStart(7)} ms  ×${(m / base).toFixed(2)} of bare node`);
}
