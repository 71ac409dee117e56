import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '../errors.js';
import { parsePaws } from '../paws/parse.js';
import { authorNames, describePolicy, evaluatePolicy, releasePolicyFor, type PolicyCheck, type PolicyReview, type ReleasePolicy } from './policy.js';

const HEAD = 'apiVersion: paws.dev/v1\nkind: Workload\nmetadata: { name: checkout }\ncontainers: { web: { image: nginx } }\n';
const spec = parsePaws(`${HEAD}environments:
  staging:
    release: { requiredChecks: [ci/build], timeout: 72h, rollback: { approvals: 0, timeout: 1h } }
  production:
    from: staging
    release:
      approvals: 2
      approvers: [team-payments]
      autoMerge: false
      rollback: { approvers: [oncall] }
  hotfix:
    from: production
    release: { approvals: 1, rollback: { autoMerge: true } }
  dev: {}
`).spec;

const DAY = 24 * 3600_000;

describe('releasePolicyFor', () => {
  it('uses the defaults for an environment with no release settings', () => {
    assert.deepEqual(releasePolicyFor(spec, 'dev'), {
      approvals: 1,
      approvers: [],
      requiredChecks: [],
      selfApproval: false,
      autoMerge: true,
      timeout: '7d',
      timeoutMs: 7 * DAY,
    });
  });

  it('inherits field by field through from:, the nearest environment winning', () => {
    assert.deepEqual(releasePolicyFor(spec, 'hotfix'), {
      approvals: 1, // hotfix
      approvers: ['team-payments'], // production
      requiredChecks: ['ci/build'], // staging
      selfApproval: false,
      autoMerge: false, // production
      timeout: '72h', // staging
      timeoutMs: 3 * DAY,
    });
  });

  it('applies the rollback overrides, themselves inherited field by field, on top', () => {
    assert.deepEqual(releasePolicyFor(spec, 'hotfix', 'rollback'), {
      approvals: 0, // staging's rollback
      approvers: ['oncall'], // production's rollback
      requiredChecks: ['ci/build'], // staging's release
      selfApproval: false,
      autoMerge: true, // hotfix's rollback
      timeout: '1h', // staging's rollback
      timeoutMs: 3600_000,
    });
    assert.deepEqual(releasePolicyFor(spec, 'dev', 'rollback'), releasePolicyFor(spec, 'dev'));
  });

  it('refuses an unknown environment', () => {
    assert.throws(() => releasePolicyFor(spec, 'prod'), NotFoundError);
  });
});

const policy = (over: Partial<ReleasePolicy> = {}): ReleasePolicy => ({
  approvals: 1,
  approvers: [],
  requiredChecks: [],
  selfApproval: false,
  autoMerge: true,
  timeout: '7d',
  timeoutMs: 7 * DAY,
  ...over,
});
const HEAD_SHA = 'bbb';
let clock = 0;
/** A review, later than every one made before. */
const review = (by: string, state: PolicyReview['state'] = 'approved', commitSha = HEAD_SHA): PolicyReview => ({
  by,
  state,
  commitSha,
  at: new Date(Date.UTC(2026, 0, 1) + ++clock * 60_000).toISOString(),
});
const evaluate = (p: ReleasePolicy, reviews: PolicyReview[], checks: PolicyCheck[] = [], teams?: Record<string, string[]>) =>
  evaluatePolicy(p, { author: 'dana', headSha: HEAD_SHA, reviews, checks, ...(teams ? { teams } : {}) });

describe('evaluatePolicy: approvals', () => {
  it('counts an approval on the head', () => {
    const v = evaluate(policy(), [review('alice')]);
    assert.deepEqual([v.satisfied, v.approvedBy, v.waitingFor], [true, ['alice'], []]);
  });

  it('counts the same user twice once (names compare case-insensitively)', () => {
    const v = evaluate(policy({ approvals: 2 }), [review('alice'), review('Alice')]);
    assert.deepEqual([v.satisfied, v.approvedBy.length, v.waitingFor], [false, 1, ['1 more approval from anyone but the author']]);
  });

  it("does not count the author's own approval, unless selfApproval", () => {
    const v = evaluate(policy(), [review('Dana')]);
    assert.deepEqual([v.satisfied, v.approvedBy, v.ignored], [false, [], [{ by: 'Dana', why: 'is the author' }]]);
    assert.deepEqual(evaluate(policy({ selfApproval: true }), [review('dana')]).approvedBy, ['dana']);
  });

  it('does not count an approval given before a push', () => {
    const v = evaluate(policy(), [review('alice', 'approved', 'aaa')]);
    assert.deepEqual([v.satisfied, v.approvedBy, v.ignored], [false, [], []]);
  });

  it('does not count a user who is not an allowed approver', () => {
    const v = evaluate(policy({ approvers: ['team-payments', 'bob'] }), [review('alice')]);
    assert.deepEqual([v.satisfied, v.ignored, v.waitingFor], [false, [{ by: 'alice', why: 'is not an allowed approver' }], ['1 more approval from team-payments or bob']]);
  });

  it('counts a member of an approving team, with or without @', () => {
    const teams = { 'acme/payments': ['Alice', 'carol'] };
    assert.deepEqual(evaluate(policy({ approvers: ['@acme/payments'] }), [review('alice')], [], teams).approvedBy, ['alice']);
    assert.deepEqual(evaluate(policy({ approvers: ['acme/payments'] }), [review('@carol')], [], { '@acme/payments': ['carol'] }).approvedBy, ['@carol']);
    assert.deepEqual(evaluate(policy({ approvers: ['acme/payments'] }), [review('erin')], [], teams).approvedBy, []);
  });

  it('a team entry matches only its members, never a user of the same name; a user entry only that user', () => {
    // `payments` resolved as a team: the user whose login is "payments" is not its member.
    const teams = { payments: ['alice'] };
    const v = evaluate(policy({ approvers: ['payments'] }), [review('payments'), review('alice')], [], teams);
    assert.deepEqual([v.approvedBy, v.ignored], [['alice'], [{ by: 'payments', why: 'is not an allowed approver' }]]);
    // Not a team on this forge: the entry is a user, and only that user.
    assert.deepEqual(evaluate(policy({ approvers: ['payments'] }), [review('payments'), review('alice')]).approvedBy, ['payments']);
    // Nor does a same-named user's change request block.
    assert.deepEqual(evaluate(policy({ approvers: ['payments'] }), [review('alice'), review('payments', 'changes_requested')], [], teams).changesRequestedBy, []);
  });

  it('does not count the reviews of excluded reviewers (e.g. without write access), saying why', () => {
    const excluded = { Mallory: 'cannot write to acme/deployments' };
    const v = evaluatePolicy(policy(), { author: 'dana', headSha: HEAD_SHA, reviews: [review('mallory'), review('erin', 'changes_requested')], checks: [], excluded: { ...excluded, erin: 'cannot write to acme/deployments' } });
    assert.deepEqual([v.satisfied, v.approvedBy, v.changesRequestedBy, v.ignored], [false, [], [], [{ by: 'mallory', why: 'cannot write to acme/deployments' }]]);
  });

  it('keeps an approval followed by a comment', () => {
    assert.deepEqual(evaluate(policy(), [review('alice'), review('alice', 'commented')]).approvedBy, ['alice']);
  });

  it('removes a dismissed approval', () => {
    assert.deepEqual(evaluate(policy(), [review('alice'), review('alice', 'dismissed')]).approvedBy, []);
  });

  it("uses each user's latest verdict, by time rather than by list order", () => {
    const [approve, change] = [review('alice'), review('alice', 'changes_requested')];
    assert.deepEqual(evaluate(policy(), [change, approve]).approvedBy, []);
    const later = review('alice');
    assert.deepEqual(evaluate(policy(), [later, change]).approvedBy, ['alice']);
  });

  it('blocks on changes requested by an allowed approver, not by others or the author', () => {
    const v = evaluate(policy({ approvals: 1, approvers: ['alice', 'bob'] }), [review('alice'), review('bob', 'changes_requested', 'aaa'), review('erin', 'changes_requested'), review('dana', 'changes_requested')]);
    assert.deepEqual([v.satisfied, v.changesRequestedBy, v.waitingFor], [false, ['bob'], ['bob to approve or dismiss their request for changes']]);
  });

  it('needs nothing when no approvals are required', () => {
    assert.equal(evaluate(policy({ approvals: 0 }), []).satisfied, true);
  });
});

describe('evaluatePolicy: checks', () => {
  const p = policy({ approvals: 0, requiredChecks: ['ci/build', 'ci/test', 'e2e'] });

  it('needs every required check to succeed; one not reported is missing', () => {
    const v = evaluate(p, [], [
      { name: 'ci/build', state: 'success' },
      { name: 'ci/test', state: 'pending' },
      { name: 'lint', state: 'failure' },
    ]);
    assert.equal(v.satisfied, false);
    assert.deepEqual(v.checks, [
      { name: 'ci/build', state: 'success' },
      { name: 'ci/test', state: 'pending' },
      { name: 'e2e', state: 'missing' },
    ]);
    assert.deepEqual(v.waitingFor, ['check ci/test (pending)', 'check e2e (not reported yet)']);
  });

  it('takes the last report of a check', () => {
    const checks: PolicyCheck[] = ['ci/build', 'ci/test', 'e2e'].flatMap((name) => [
      { name, state: 'failure' as const },
      { name, state: 'success' as const },
    ]);
    assert.equal(evaluate(p, [], checks).satisfied, true);
  });
});

describe('describePolicy', () => {
  it('says what the release needs, as markdown bullets', () => {
    assert.deepEqual(describePolicy(releasePolicyFor(spec, 'production')), [
      '- **Approvals:** 2 from team-payments',
      "- **Four-eyes rule:** the author's own approval does not count",
      '- **Required checks:** `ci/build`',
      '- **Merge:** not automatic; merge the PR once the policy is satisfied',
      '- **Timeout:** closed without merging if not merged within 72h',
    ]);
    assert.deepEqual(describePolicy(policy({ approvals: 0, selfApproval: true })).slice(0, 4), [
      '- **Approvals:** none needed',
      "- **Four-eyes rule:** off; the author's own approval counts",
      '- **Required checks:** none',
      '- **Merge:** automatic, as soon as the policy is satisfied',
    ]);
  });
});

describe('authorNames', () => {
  it('an email requester also goes by its local part and by the forge login idp read with their token', () => {
    assert.deepEqual(authorNames('rita@example.com', 'rita-gh'), ['rita@example.com', 'rita', 'rita-gh']);
    assert.deepEqual(authorNames('rita'), ['rita']);
  });

  it('an approval under any of the author\'s names does not count', () => {
    const policy = releasePolicyFor(parsePaws(PAWS_FOR_AUTHORS).spec, 'staging');
    const review = (by: string) => ({ by, state: 'approved' as const, commitSha: 'h1', at: '2026-01-01T00:00:00Z' });
    const v = evaluatePolicy(policy, { author: authorNames('rita@example.com', 'rg'), headSha: 'h1', reviews: [review('rita'), review('rg'), review('RITA@example.com')], checks: [] });
    assert.deepEqual(v.approvedBy, []);
    assert.equal(v.ignored.length, 3);
    assert.equal(evaluatePolicy(policy, { author: authorNames('rita@example.com'), headSha: 'h1', reviews: [review('bob')], checks: [] }).satisfied, true);
  });
});

const PAWS_FOR_AUTHORS = `apiVersion: paws.dev/v1
kind: Workload
metadata: { name: checkout }
containers: { web: { image: ghcr.io/acme/checkout:1.0.0 } }
environments:
  staging: { release: { approvals: 1 } }
`;
