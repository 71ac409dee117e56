import { createHash } from 'node:crypto';
import type { GitProvider } from './provider.js';

/** Short, stable key of a repository for workflow ids (see core/src/names.ts). */
export function repoKey(provider: Pick<GitProvider, 'id'>): string {
  return createHash('sha256').update(provider.id).digest('hex').slice(0, 10);
}
