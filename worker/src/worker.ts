/** The Temporal worker: all workflows (bundled from @idp/workflows) and all activities. */
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { ReleaseFloors, SecretsConfig } from '@idp/core';
import { createActivities, type ProviderLookup } from './activities/index.js';
import { workflowBundlePath, workflowsPath } from './bundle.js';


export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  providers: ProviderLookup;
  /** A prebuilt bundle (tests build it once); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkflowBundle;
  /** See ServerConfig.maxCachedWorkflows. */
  maxCachedWorkflows?: number;
  /** See ServerConfig.releaseFloors. */
  releaseFloors?: ReleaseFloors;
  /** The platform's secret stores: the ExternalSecret a kustomize release writes names each one's SecretStore. */
  secrets?: SecretsConfig;
}

/**
 * Waiting workflows need not stay in memory: one woken after eviction is
 * replayed from its (short) history in milliseconds. Measured with `npm run
 * bench` (1,000 releases waiting for approval): see README.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 50;

export { workflowsPath };

export async function createWorker(opts: WorkerOptions): Promise<Worker> {
  const cached = opts.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS;
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: opts.workflowBundle ?? { codePath: workflowBundlePath() },
    activities: createActivities(opts.providers, { ...(opts.releaseFloors ? { releaseFloors: opts.releaseFloors } : {}), ...(opts.secrets ? { secrets: opts.secrets } : {}) }),
    // Releases wait days for approval: the cache bounds memory, an evicted workflow is replayed when woken.
    maxCachedWorkflows: cached,
    // At most half the cache in flight. A workflow task running local activities (proposing a PR) pins its workflow
    // in the cache until they finish, and a new workflow's task waits for a cached one to be evicted ("Buffering WFT
    // because cache is full", temporalio/temporal#7482): with the SDK's 40 beside a cache of 50, 22 of 100 concurrent
    // `idp env clone`s timed out (10 s) waiting (`npm run bench`). Half always leaves idle workflows to evict.
    maxConcurrentWorkflowTaskExecutions: Math.max(2, Math.floor(cached / 2)),
  });
}
