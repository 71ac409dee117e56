/**
 * What runs for an environment, as the platform's runtime reports it (`runtime` of `GET /environments`; `idp env list`
 * says "running at <url>"): its state, a link to the running app, and why it crashed or stopped. Nothing when no
 * runtime reports (a platform without one, or an environment it does not run).
 */
import { Flex, Link, Text } from '@backstage/ui';
import type { EnvironmentRuntime } from '@idp/core';

const COLOR = { running: 'success', starting: 'warning', crashed: 'danger', stopped: 'secondary' } as const;

/** The Environments tab's cell: "running" + Open app, "crashed" + why. */
export function RuntimeCell({ env, runtime }: { env: string; runtime?: EnvironmentRuntime }) {
  if (!runtime) return <Text color="secondary" title="No runtime reports what runs for it">—</Text>;
  return (
    <Flex direction="column" gap="0" data-testid={`runtime-${env}`}>
      <Text color={COLOR[runtime.state]} weight="bold" title={runtime.since ? `since ${runtime.since}` : undefined}>
        {runtime.state === 'starting' ? 'starting…' : runtime.state}
      </Text>
      {runtime.state === 'running' && runtime.url && (
        <Link href={runtime.url} target="_blank" rel="noopener" title={runtime.url} aria-label={`Open app of ${env}`}>
          Open app
        </Link>
      )}
      {runtime.reason && (
        <Text variant="body-small" color={runtime.state === 'crashed' ? 'danger' : 'secondary'}>
          {runtime.reason}
        </Text>
      )}
    </Flex>
  );
}

/** After a tab's "Logs of checkout in staging": " — running at http://…", " — crashed: why". */
export function RuntimeSummary({ runtime }: { runtime?: EnvironmentRuntime }) {
  if (!runtime) return null;
  if (runtime.state === 'running' && runtime.url) {
    return (
      <>
        {' — running at '}
        <Link href={runtime.url} target="_blank" rel="noopener">
          {runtime.url}
        </Link>
      </>
    );
  }
  return <>{` — ${runtime.state}${runtime.reason ? `: ${runtime.reason}` : ''}`}</>;
}
