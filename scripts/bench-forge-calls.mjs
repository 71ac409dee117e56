// API calls per opened PR, per forge, for a repository of 10 files and of 100,000 files:
// `idp env clone` through the Platform API and the workflow (real Temporal dev server,
// in-process worker as in `npm start`) against the forge fakes, counting every HTTP
// request the fake receives from the request until the PR is open and labelled.
// Run alone with `node scripts/bench-forge-calls.mjs`; `npm run bench` includes it.
import { startTestStack } from '../worker/dist/testing/stack.js';
import { startGitHubFake, startGitLabFake } from '../providers/dist/testing/index.js';
import { CHECKOUT_PAWS } from '../worker/dist/e2e/fixtures.js';

const SIZES = (process.env.IDP_BENCH_SIZES ?? "10,100000").split(",").map(Number);

function repoFiles(size) {
  const files = { 'paws.yaml': CHECKOUT_PAWS };
  for (let i = 1; i < size; i++) files[`src/m${i % 100}/f${i}.txt`] = `${i}\n`;
  return files;
}

/** Requests from `before` up to the one that finished opening the PR (labels), as "METHOD path". */
function opening(requests, before, done) {
  const slice = requests.slice(before);
  const last = slice.findIndex(done);
  return last === -1 ? slice : slice.slice(0, last + 1);
}

async function github(rows) {
  const fake = await startGitHubFake({ users: { ghs_bench: 'idp-bot' } });
  const stack = await startTestStack({ pollIntervalMs: 600_000, forges: [{ kind: 'github', host: 'github.test', apiUrl: fake.url, github: { token: 'ghs_bench' } }] });
  try {
    for (const size of SIZES) {
      const t0 = Date.now();
      await fake.createRepo(`acme/bench-${size}`, repoFiles(size));
      process.stderr.write(`github: ${size} files seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      const before = fake.requests.length;
      const res = await stack.client.cloneEnvironment('staging', { repo: `https://github.test/acme/bench-${size}.git`, target: 'preview-1' });
      if (!res.pr?.url) throw new Error('no PR');
      const calls = opening(fake.requests, before, (r) => /\/labels$/.test(r));
      rows.push([`GitHub: API calls per opened PR, ${size.toLocaleString('en')} files`, String(calls.length), '≤ 4, same at both sizes']);
      process.stderr.write(`  ${calls.join('\n  ')}\n`);
    }
    if (fake.violations.length) throw new Error(`fake saw API violations: ${fake.violations.join('; ')}`);
  } finally {
    await stack.stop();
    await fake.close();
  }
}

async function gitlab(rows) {
  const fake = await startGitLabFake({ users: { 'glpat-bench': 'idp-bot' } });
  const stack = await startTestStack({ pollIntervalMs: 600_000, forges: [{ kind: 'gitlab', host: 'gitlab.test', apiUrl: fake.url, gitlabToken: 'glpat-bench' }] });
  try {
    for (const size of SIZES) {
      const t0 = Date.now();
      await fake.project(`platform/bench-${size}`, repoFiles(size));
      process.stderr.write(`gitlab: ${size} files seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      const before = fake.requests.length;
      const res = await stack.client.cloneEnvironment('staging', { repo: `https://gitlab.test/platform/bench-${size}.git`, target: 'preview-1' });
      if (!res.pr?.url) throw new Error('no MR');
      const calls = opening(fake.requests.map((r) => `${r.method} ${r.path}`), before, (r) => /^POST .*\/merge_requests$/.test(r));
      rows.push([`GitLab: API calls per opened MR, ${size.toLocaleString('en')} files`, String(calls.length), 'same at both sizes']);
      process.stderr.write(`  ${calls.join('\n  ')}\n`);
    }
    if (fake.violations.length) throw new Error(`fake saw API violations: ${fake.violations.join('; ')}`);
  } finally {
    await stack.stop();
    await fake.close();
  }
}

export async function forgeCallRows() {
  const rows = [];
  await github(rows);
  await gitlab(rows);
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await forgeCallRows();
  for (const [a, b, c] of rows) console.log(`${a}  ${b}  ${c}`);
}
