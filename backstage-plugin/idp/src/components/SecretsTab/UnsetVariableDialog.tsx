/** Unset variable <KEY>: what `idp variables unset KEY --env <env>` does — one PR removing it from the environment's own variables. */
import { useApi } from '@backstage/frontend-plugin-api';
import { Button, Text } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { idpApiRef } from '../../api';
import { ActionDialog } from '../shared/ActionDialog';

export function UnsetVariableDialog({ env, keyName, repo, onChange }: { env: string; keyName: string; repo: RepoRef; onChange: () => void }) {
  const client = useApi(idpApiRef);
  return (
    <ActionDialog
      trigger={
        <Button size="small" variant="tertiary" destructive aria-label={`Unset variable ${keyName}`}>
          Unset
        </Button>
      }
      title={`Unset variable ${keyName} in ${env}`}
      verb="Unset"
      destructive
      ready
      start={() => client.setVariables(env, { ...repo, unset: [keyName] })}
      onChange={onChange}
    >
      {() => <Text>A PR removes {keyName} from {env}'s variables in paws.yaml; where {env} inherits one (from: or the workload's default), that applies again.</Text>}
    </ActionDialog>
  );
}
