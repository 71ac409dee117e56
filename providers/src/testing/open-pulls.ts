/**
 * Child process for the cross-process lock test (providers/local.test.ts):
 *
 *   node open-pulls.js <bare repo> <branch>...
 *
 * Says 'ready' over IPC, waits for 'go', opens one PR per branch concurrently
 * through its own LocalForge, and reports the numbers it got.
 */
import { LocalForge } from '../local.js';

const [bare, ...branches] = process.argv.slice(2);
if (!bare || !process.send) {
  console.error('usage (forked with IPC): open-pulls.js <bare repo> <branch>...');
  process.exit(2);
}

const forge = new LocalForge({ repo: bare });
process.once('message', async () => {
  try {
    const prs = await Promise.all(
      branches.map((head) => forge.openPullRequest({ head, base: 'main', title: head, body: `opened by pid ${process.pid}`, author: 'child@example.com' })),
    );
    process.send!({ numbers: prs.map((pr) => pr.number) }, () => process.exit(0));
  } catch (err) {
    process.send!({ error: String(err) }, () => process.exit(1));
  }
});
process.send('ready');
