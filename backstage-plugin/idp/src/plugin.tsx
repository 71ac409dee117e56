/**
 * The idp frontend plugin (Backstage's new frontend system). Six tabs on a component's page — Environments,
 * Releases, Secrets & Variables, Logs, Metrics, Activity — and the Download CLI page. Every action here is a Platform API call through `idpApiRef`, the
 * same client and routes the CLI uses; README's parity table lists both faces of each.
 */
import { createFrontendPlugin, PageBlueprint } from '@backstage/frontend-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { idpApi } from './api';
import { cliPageRouteRef } from './routes';
import { isIdpComponent } from './entity';

/** Paths of the entity tabs, under the entity's page: `idp open` links to them. */
export const TAB_PATHS = { environments: '/environments', releases: '/releases', secrets: '/secrets', logs: '/logs', metrics: '/metrics', activity: '/activity' } as const;
export const CLI_PAGE_PATH = '/idp/cli';
/** The API redirects a browser's GET /api/idp/pulls/<n> here (RouterOptions.pullPageUrl, set by the idp backend plugin). */
export const PULL_PAGE_PATH = '/idp/pulls';

const environmentsContent = EntityContentBlueprint.make({
  name: 'environments',
  params: {
    path: TAB_PATHS.environments,
    title: 'Environments',
    filter: isIdpComponent,
    loader: () => import('./components/EnvironmentsTab').then((m) => <m.EnvironmentsTab />),
  },
});

const releasesContent = EntityContentBlueprint.make({
  name: 'releases',
  params: {
    path: TAB_PATHS.releases,
    title: 'Releases',
    filter: isIdpComponent,
    loader: () => import('./components/ReleasesTab').then((m) => <m.ReleasesTab />),
  },
});

const secretsContent = EntityContentBlueprint.make({
  name: 'secrets',
  params: {
    path: TAB_PATHS.secrets,
    title: 'Secrets & Variables',
    filter: isIdpComponent,
    loader: () => import('./components/SecretsTab').then((m) => <m.SecretsTab />),
  },
});

const logsContent = EntityContentBlueprint.make({
  name: 'logs',
  params: {
    path: TAB_PATHS.logs,
    title: 'Logs',
    filter: isIdpComponent,
    loader: () => import('./components/LogsTab').then((m) => <m.LogsTab />),
  },
});

const metricsContent = EntityContentBlueprint.make({
  name: 'metrics',
  params: {
    path: TAB_PATHS.metrics,
    title: 'Metrics',
    filter: isIdpComponent,
    loader: () => import('./components/MetricsTab').then((m) => <m.MetricsTab />),
  },
});

const activityContent = EntityContentBlueprint.make({
  name: 'activity',
  params: {
    path: TAB_PATHS.activity,
    title: 'Activity',
    filter: isIdpComponent,
    loader: () => import('./components/ActivityTab').then((m) => <m.ActivityTab />),
  },
});

/** A download arrow (no icon package needed): with `title`, it puts the page in the app's sidebar. */
const downloadIcon = (
  <svg viewBox="0 0 24 24" width="24" height="24" fill="currentColor" aria-hidden="true">
    <path d="M19 9h-4V3H9v6H5l7 7 7-7zM5 18v2h14v-2H5z" />
  </svg>
);

const cliPage = PageBlueprint.make({
  name: 'cli',
  params: {
    path: CLI_PAGE_PATH,
    title: 'Download CLI',
    icon: downloadIcon,
    routeRef: cliPageRouteRef,
    loader: () => import('./components/CliPage').then((m) => <m.CliPage />),
  },
});

/** A pull request idp opened (`/idp/pulls/<n>?repo=…`): review, check, merge, close. Not in the sidebar. */
const pullRequestPage = PageBlueprint.make({
  name: 'pull-request',
  params: {
    path: PULL_PAGE_PATH,
    loader: () => import('./components/PullRequestPage').then((m) => <m.PullRequestPage />),
  },
});

export const idpPlugin = createFrontendPlugin({
  pluginId: 'idp',
  title: 'idp',
  routes: { cli: cliPageRouteRef },
  extensions: [idpApi, environmentsContent, releasesContent, secretsContent, logsContent, metricsContent, activityContent, cliPage, pullRequestPage],
});
