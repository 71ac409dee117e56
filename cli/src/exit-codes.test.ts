import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnreachableError } from '@idp/core/client';
import { ConflictError, errorFromBody, IdpError, InvalidPawsError, InvalidRequestError, NotFoundError, ProviderError } from '@idp/core/errors';
import { errorBody, EXIT_CODES_HELP, ExitCode, exitCodeFor, OutcomeError, UsageError } from './exit-codes.js';

describe('exit codes', () => {
  it('map every failure to its code', () => {
    assert.equal(exitCodeFor(new UsageError('x')), 2);
    assert.equal(exitCodeFor(new NotFoundError('x')), 3);
    assert.equal(exitCodeFor(new ConflictError('x')), 4);
    assert.equal(exitCodeFor(new InvalidRequestError('x')), 5);
    assert.equal(exitCodeFor(new InvalidPawsError('paws.yaml', [{ message: 'bad', line: 1 }])), 5);
    assert.equal(exitCodeFor(errorFromBody({ error: { code: 'forbidden', message: 'no' } })), 5);
    assert.equal(exitCodeFor(errorFromBody({ error: { code: 'unauthenticated', message: 'who?' } })), 5);
    assert.equal(exitCodeFor(new UnreachableError('http://x', new Error('ECONNREFUSED'))), 6);
    assert.equal(exitCodeFor(new OutcomeError('pr_closed', 'closed')), 7);
    assert.equal(exitCodeFor(new OutcomeError('release_rejected', 'rejected')), 8);
    assert.equal(exitCodeFor(new OutcomeError('release_timed_out', 'timed out')), 9);
    assert.equal(exitCodeFor(new OutcomeError('workflow_failed', 'failed')), 1);
    assert.equal(exitCodeFor(new ProviderError('x')), 1);
    assert.equal(exitCodeFor(new IdpError('internal', 500, 'x')), 1);
    assert.equal(exitCodeFor(new TypeError('bug')), 1);
  });

  it('the help lists every code once', () => {
    assert.deepEqual(
      EXIT_CODES_HELP.map(([c]) => c),
      Object.values(ExitCode).sort((a, b) => a - b),
    );
    assert.equal(ExitCode.releaseRejected, 8);
    assert.equal(ExitCode.releaseTimedOut, 9);
  });

  it('JSON error bodies keep the server code and message', () => {
    assert.deepEqual(errorBody(new ConflictError('exists', { env: 'p' })), { error: { code: 'conflict', message: 'exists', details: { env: 'p' } } });
    assert.deepEqual(errorBody(new UsageError('bad', 'hint')), { error: { code: 'usage', message: 'bad' } });
    assert.equal(errorBody(new UnreachableError('http://x', null)).error.code, 'unreachable');
    assert.deepEqual(errorBody(new OutcomeError('pr_closed', 'c')), { error: { code: 'pr_closed', message: 'c' } });
    assert.deepEqual(errorBody(new OutcomeError('release_timed_out', 't')), { error: { code: 'release_timed_out', message: 't' } });
    assert.deepEqual(errorBody(new Error('e')), { error: { code: 'internal', message: 'e' } });
  });
});
