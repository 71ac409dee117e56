import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyReleaseFloors, DEFAULT_RELEASE_FLOORS, parseReleaseFloors } from './floors.js';
import { describePolicy, type ReleasePolicy } from './policy.js';

const policy = (over: Partial<ReleasePolicy> = {}): ReleasePolicy => ({
  approvals: 0, approvers: [], requiredChecks: [], selfApproval: true, autoMerge: true, timeout: '7d', timeoutMs: 7 * 24 * 3600_000, ...over,
});

describe('release floors', () => {
  it('by default, production gets four eyes whatever paws.yaml says; other environments are left alone', () => {
    const raised = applyReleaseFloors(policy(), 'production', DEFAULT_RELEASE_FLOORS);
    assert.equal(raised.approvals, 1);
    assert.equal(raised.selfApproval, false);
    assert.deepEqual(raised.floor, { patterns: ['prod*'], raised: ['approvals', 'selfApproval'] });
    assert.deepEqual(applyReleaseFloors(policy(), 'staging', DEFAULT_RELEASE_FLOORS), policy());
    assert.deepEqual(applyReleaseFloors(policy(), 'production', {}), policy());
  });

  it('never lowers: the larger approvals, the union of checks; approvers only narrow the floor', () => {
    const floors = { 'prod*': { approvals: 2, requiredChecks: ['ci/build'], approvers: ['sre', 'alice'] }, '*': { requiredChecks: ['ci/scan'] } };
    const p = applyReleaseFloors(policy({ approvals: 3, selfApproval: false, requiredChecks: ['ci/build', 'e2e'], approvers: ['Alice', 'mallory'] }), 'prod-eu', floors);
    assert.equal(p.approvals, 3);
    assert.deepEqual(p.requiredChecks, ['ci/build', 'e2e', 'ci/scan']);
    assert.deepEqual(p.approvers, ['Alice'], 'mallory is not on the floor');
    assert.deepEqual(p.floor?.raised, ['approvers', 'requiredChecks']);
    assert.deepEqual(applyReleaseFloors(policy({ approvers: ['mallory'] }), 'production', floors).approvers, ['sre', 'alice'], 'none of the component\'s: the floor\'s');
    assert.deepEqual(applyReleaseFloors(policy(), 'production', floors).approvers, ['sre', 'alice']);
  });

  it('the PR body says which parts come from the floor', () => {
    const lines = describePolicy(applyReleaseFloors(policy({ requiredChecks: ['ci/build'] }), 'production', DEFAULT_RELEASE_FLOORS));
    assert.equal(lines[0], '- **Approvals:** 1 from anyone but the author _(platform floor for `prod*`)_');
    assert.equal(lines[1], "- **Four-eyes rule:** the author's own approval does not count _(platform floor for `prod*`)_");
    assert.equal(lines[2], '- **Required checks:** `ci/build`');
  });

  it('refuses malformed floors with a message that says what to write', () => {
    assert.deepEqual(parseReleaseFloors('{"prod*": {"approvals": 2}}'), { 'prod*': { approvals: 2 } });
    assert.throws(() => parseReleaseFloors('{prod'), /IDP_RELEASE_FLOORS is not valid JSON; write e\.g\./);
    assert.throws(() => parseReleaseFloors('{"prod*": {"approvals": -1}}'), /prod\*\.approvals/);
    assert.throws(() => parseReleaseFloors('{"prod*": {"aprovals": 1}}'), /aprovals/);
    assert.throws(() => parseReleaseFloors('{"prod*": {"requiredChecks": ["idp/policy"]}}'), /circular|idp's own status/);
  });
});
