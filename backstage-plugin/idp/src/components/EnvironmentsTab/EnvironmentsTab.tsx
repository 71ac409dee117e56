import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useEffect, useState } from 'react';
import { idpApiRef } from '../../api';
import { entityRepo } from '../../entity';

export function EnvironmentsTab() {
  const { entity } = useEntity();
  const api = useApi(idpApiRef);
  const [data, setData] = useState<unknown>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    const repo = entityRepo(entity);
    if (repo) api.listEnvironments(repo).then(setData, setError);
  }, [api, entity]);
  if (error) return <ResponseErrorPanel error={error} />;
  if (!data) return <Progress />;
  return <pre data-testid="idp-environments">{JSON.stringify(data, null, 2)}</pre>;
}
