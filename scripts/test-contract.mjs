// `npm run test:contract`: the provider contract suite (providers/src/contract.ts)
// against every provider — the local forge on real bare repositories, GitHub and GitLab
// through their HTTP fakes — with one summary line per provider.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PROVIDERS = ['local', 'github', 'gitlab'];
let failed = false;
const lines = [];
for (const name of PROVIDERS) {
  const file = `providers/dist/${name}.test.js`;
  if (!existsSync(file)) {
    lines.push(`${name}: missing (${file})`);
    failed = true;
    continue;
  }
  const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-name-pattern=^GitProvider contract', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const count = (what) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.stdout)?.[1] ?? NaN);
  const [pass, fail] = [count('pass'), count('fail')];
  if (r.status !== 0 || !(pass > 0) || fail !== 0) {
    failed = true;
    process.stdout.write(r.stdout.split('\n').filter((l) => /not ok|error|expected|actual/.test(l)).slice(0, 40).join('\n') + '\n');
  }
  lines.push(`${name}: ${pass} passed, ${fail} failed`);
}
console.log(lines.join('\n'));
process.exit(failed ? 1 : 0);
