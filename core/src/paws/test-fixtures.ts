/** Shared by the paws tests: a realistic paws.yaml and a line diff to check edits with. */

/** DESIGN.md's example, as a team would really keep it: comments, blank lines, mixed styles. */
export const CHECKOUT = `# paws.yaml for the checkout service.
# Owned by team-payments; ask in #payments before changing deploy.
apiVersion: paws.dev/v1
kind: Workload
metadata: { name: checkout, owner: team-payments }

containers:
  web:
    image: ghcr.io/acme/checkout:1.4.2   # bumped by the release bot
    variables: { LOG_LEVEL: info, DATABASE_URL: "\${resources.db.url}" }

resources:
  db: { type: postgres }   # managed Postgres

deploy:                     # where releases are written (optional)
  repo: github.com/acme/deployments
  path: 'apps/checkout/{env}'
  format: kustomize         # kustomize | helm-values | paws

environments:
  # Shared staging; reset nightly.
  staging:
    variables: { LOG_LEVEL: debug }
    secrets:
      STRIPE_KEY: { ref: "vault://kv/checkout/staging#stripe_key" }
    release: { approvals: 1 }
  production:
    release: { approvals: 2, requiredChecks: [ci/build], approvers: [team-payments] }
  preview-123:
    from: staging
    lifecycle: { ttl: 72h, expiresAt: "2026-11-27T10:00:00Z" }

# Ask #platform before adding permanent environments.
`;

/**
 * The changed lines between two texts, as in a unified diff: "-12: old" for a line
 * removed (numbered in `before`), "+12: new" for a line added (numbered in `after`).
 * Lines are compared with their line breaks, so a changed "\r\n" or a lost final
 * newline shows up too. Longest-common-subsequence based; fine for test-sized files.
 */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split(/(?<=\n)/);
  const b = after.split(/(?<=\n)/);
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  const show = (line: string) => line.replace(/\r?\n$/, '');
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      out.push(`-${i + 1}: ${show(a[i]!)}`);
      i++;
    } else {
      out.push(`+${j + 1}: ${show(b[j]!)}`);
      j++;
    }
  }
  return out;
}
