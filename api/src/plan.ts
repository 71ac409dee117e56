/**
 * Dry runs (`dryRun: true` on a change or release request): the PR's diff as it would be opened now, written as the
 * forges' diffs are (git's unified format), so a Scaffolder dry run or `--dry-run` shows what would be proposed.
 */
import { createTwoFilesPatch } from 'diff';
import type { ChangePlan } from '@idp/core';

export function planFile(path: string, before: string | null, after: string | null): ChangePlan['files'][number] {
  return {
    path,
    status: before === null ? 'added' : after === null ? 'deleted' : 'modified',
    // jsdiff's first line is a '====' rule; git's format starts at the file headers.
    patch: createTwoFilesPatch(before === null ? '/dev/null' : `a/${path}`, after === null ? '/dev/null' : `b/${path}`, before ?? '', after ?? '').replace(/^=+\n/, ''),
  };
}
