import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { run } from './testing/harness.js';
import { shownWord } from './redact.js';

describe('usage errors never repeat a value typed on the command line', () => {
  it('shownWord keeps names and commands, hides KEY=value values and credential-shaped words', () => {
    assert.equal(shownWord('staging'), 'staging');
    assert.equal(shownWord('STRIPE_KEY=sk_live_abc'), 'STRIPE_KEY=…');
    assert.equal(shownWord('sk_live_0123456789abcdefghij'), '(a value, not shown)');
    assert.equal(shownWord('=x'), '(a value, not shown)');
  });

  it('a forgotten verb, a missing =, an extra argument: the error names the word without its value', async () => {
    const canary = `sk_live_${'Q7z'.repeat(10)}`;
    for (const argv of [['variables', `STRIPE_KEY=${canary}`, '--env', 'staging'], ['variables', 'set', canary, '--env', 'staging'], ['env', 'list', `X=${canary}`]]) {
      const r = await run(argv);
      assert.equal(r.code, 2, `${r.out}${r.err}`);
      assert.ok(!`${r.out}${r.err}`.includes(canary), `${argv[0]} ${argv[1]}: ${r.err}`);
    }
  });
});
