/** A PR as every tab shows it: `PR #n`, opening in a new tab (on the local forge, the PR page), or a dash. */
import { Link, Text } from '@backstage/ui';

export function PrLink({ pr }: { pr?: { number: number; url: string } }) {
  if (!pr) return <Text color="secondary">—</Text>;
  return (
    <Link href={pr.url} target="_blank" rel="noopener">
      PR #{pr.number}
    </Link>
  );
}
