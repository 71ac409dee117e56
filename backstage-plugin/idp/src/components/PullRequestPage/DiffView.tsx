/** A PR's files as unified diffs (what `idp pr diff` prints), added and removed lines marked. */
import { Card, CardBody, CardHeader, Text } from '@backstage/ui';
import type { PullDiff } from '@idp/core';

const COLORS: Record<string, string> = { '+': 'rgba(46, 160, 67, 0.15)', '-': 'rgba(248, 81, 73, 0.15)', '@': 'rgba(56, 139, 253, 0.1)' };

export function DiffView({ files }: { files: PullDiff['files'] }) {
  return (
    <>
      {files.map((f) => (
        <Card key={f.path}>
          <CardHeader>
            <Text weight="bold">
              {f.path} ({f.status})
            </Text>
          </CardHeader>
          <CardBody>
            <pre style={{ margin: 0, fontSize: 13, overflowX: 'auto' }} aria-label={`diff of ${f.path}`}>
              {f.patch.split('\n').map((line, i) => (
                <div key={i} style={{ background: COLORS[line[0] ?? ''] ?? 'transparent' }}>
                  {line || ' '}
                </div>
              ))}
            </pre>
          </CardBody>
        </Card>
      ))}
    </>
  );
}
