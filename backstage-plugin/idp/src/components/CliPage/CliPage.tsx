import { CodeSnippet, Content, InfoCard } from '@backstage/core-components';
import { discoveryApiRef, useApi } from '@backstage/frontend-plugin-api';
import { useEffect, useState } from 'react';

export function CliPage() {
  const discovery = useApi(discoveryApiRef);
  const [base, setBase] = useState<string>();
  useEffect(() => {
    discovery.getBaseUrl('idp').then(setBase);
  }, [discovery]);
  if (!base) return null;
  return (
    <Content>
      <InfoCard title="Install the idp CLI">
        <CodeSnippet language="bash" text={`curl -fsSL ${base}/cli/install.sh | sh`} showCopyCodeButton />
      </InfoCard>
    </Content>
  );
}
