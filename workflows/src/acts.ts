/**
 * The one proxy every workflow calls activities through. Activities heartbeat
 * every second (worker/src/activities), so with a 5 s heartbeat timeout a
 * killed worker is noticed in seconds, not at the start-to-close timeout.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { EnvActivities } from './activities.js';

export const acts = proxyActivities<EnvActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '200ms', maximumInterval: '30s', backoffCoefficient: 2 },
});
