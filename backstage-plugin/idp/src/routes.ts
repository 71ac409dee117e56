import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The Download CLI page (`/idp/cli`). */
export const cliPageRouteRef = createRouteRef();
