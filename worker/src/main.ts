/**
 * `idp-server worker|api` — the worker and the Platform API as separate
 * processes, for a team's deployment (docker-compose.yml) and the durability
 * tests that kill the worker. Configured from the environment (config.ts).
 */
import { configFromEnv } from '@idp/api';
import { installRuntime, startApi, startWorker } from './services.js';
import { defaultUser } from './user.js';

const mode = process.argv[2];

/**
 * A worker holds many workflows waiting for days, and its memory should stay
 * flat. With the defaults it does not shrink: glibc keeps what the native side
 * (the Temporal core, gRPC) frees in per-thread arenas, and V8 lets a heap of a
 * few GB fill with garbage before collecting. So the worker restarts itself
 * once (execve: same process id, nothing forked) with a single arena that
 * returns free memory, a small young generation, and a 256 MB old space (what
 * 1,000 waiting releases keep alive is about 100 MB). Set MALLOC_ARENA_MAX to
 * opt out; a --max-old-space-size in NODE_OPTIONS wins.
 */
if (mode === 'worker' && process.env.MALLOC_ARENA_MAX === undefined && typeof process.execve === 'function') {
  const heap = /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? '') ? [] : ['--max-old-space-size=256'];
  process.execve(process.execPath, [process.execPath, '--max-semi-space-size=2', ...heap, ...process.execArgv, ...process.argv.slice(1)], {
    ...process.env,
    MALLOC_ARENA_MAX: '1',
    MALLOC_TRIM_THRESHOLD_: '65536',
    MALLOC_MMAP_THRESHOLD_: '65536',
  });
}

const cfg = configFromEnv();
installRuntime();

if (mode === 'worker') {
  const w = await startWorker(cfg);
  const stop = () => void w.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`idp worker polling task queue ${cfg.taskQueue} on ${cfg.temporalAddress}`);
  if (w.webhooksUrl) console.log(`idp webhooks on ${w.webhooksUrl}/webhooks/github and /webhooks/gitlab`);
  await w.run;
} else if (mode === 'api') {
  const api = await startApi(cfg, defaultUser()).catch((err: unknown) => {
    // A refusal to start (e.g. exposed without a token) is a message for the operator, not a stack trace.
    console.error(`idp Platform API could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  });
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`idp Platform API on ${api.url}`);
} else {
  console.error(
    'usage: idp-server worker|api   (settings: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, IDP_API_HOST, IDP_API_PORT, IDP_API_URL, IDP_API_TOKEN, IDP_REPO_ROOTS, IDP_ALLOWED_HOSTS,\n' +
      '  forges: IDP_GITHUB_TOKEN or IDP_GITHUB_APP_ID/_INSTALLATION_ID/_PRIVATE_KEY_FILE, IDP_GITLAB_TOKEN, IDP_FORGES, webhooks: IDP_GITHUB_WEBHOOK_SECRET, IDP_GITLAB_WEBHOOK_SECRET, IDP_WEBHOOK_PORT)',
  );
  process.exit(2);
}
