/**
 * The one path every idp action takes: the Platform API over HTTP (the idp plugin, found by Backstage's discovery),
 * with a token Backstage issues on behalf of the acting principal — so the API records the task's user as the
 * requester (the PR's author) and checks their permissions exactly as for the CLI.
 */
import type { AuthService, BackstageCredentials, DiscoveryService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { PlatformClient } from '@idp/core/client';

export interface PlatformDeps {
  discovery: DiscoveryService;
  auth: AuthService;
  catalog: CatalogService;
  /** How long an action waits for its workflow's PR before failing the step (a retry joins the same workflow). */
  prWaitSeconds: number;
}

export async function platformClient(deps: PlatformDeps, credentials: BackstageCredentials, idempotencyKey?: string): Promise<PlatformClient> {
  const baseUrl = await deps.discovery.getBaseUrl('idp');
  const { token } = await deps.auth.getPluginRequestToken({ onBehalfOf: credentials, targetPluginId: 'idp' });
  // `internal`: discovery's address is the backend's own network; idempotencyKey: a retried step is the same request.
  return new PlatformClient({ baseUrl, token, internal: true, ...(idempotencyKey ? { idempotencyKey } : {}), retries: 2 });
}
