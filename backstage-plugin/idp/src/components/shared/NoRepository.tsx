/** A component whose entity names no repository (the tabs are shown only for those that do; linked to directly). */
import { EmptyState } from '@backstage/core-components';

export function NoRepository() {
  return <EmptyState missing="info" title="No repository" description="This component has no backstage.io/source-location annotation, so idp does not know its repository." />;
}
