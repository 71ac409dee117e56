/**
 * The local runtime: the embedded stack's "platform". As `heroku local` runs a Procfile, it runs every environment of
 * every component on the local forge as processes on this machine, reconciled GitOps-style from paws.yaml on each
 * repository's default branch — what is merged is what runs:
 *
 * - it looks at the tip of each repository's default branch several times a second (two small file reads, as Argo CD
 *   and Flux poll their repositories); a new tip is read once: its paws.yaml is the desired state;
 * - an environment that appears is started; one that is gone (destroy merged) is stopped; one whose processes would
 *   see something else (image — a release merged —, command, variables, secret references or versions) is restarted
 *   on the new commit; a merge that changes only other environments leaves it running;
 * - a process that exits is a crash: the environment shows `crashed` with the reason and is started again, backing off
 *   from 1 s to 60 s; so is a secret that cannot be resolved (the reason names the key and reference, never a value);
 * - it never holds more than one set of processes per environment: a runtime killed without stopping them (the stack
 *   SIGKILLed) leaves them on record in state.json, and the next one stops them before anything else.
 *
 * Each environment gets one port (kept across restarts in state.json while it is free: its URL stays the same), given
 * to its web process as PORT; its output lines go to the log shipper with the environment's stream fields, and its
 * /metrics is a Prometheus target labelled the same way (targets.ts). Its status — starting, running (listening on its
 * port), crashed, stopped — is what `idp env list` shows (the API reads state.json: api/src/runtime-status.ts).
 *
 * The runtime's own log (`<IDP_HOME>/logs/runtime.log`) says what it did and why; it never holds a secret value nor an
 * app's output.
 */
import { appendFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parsePaws, type SecretsConfig } from '@idp/core';
import { runtimeKey, type RuntimeRecord } from '@idp/api';
import { desiredEnvironments, type DesiredEnvironment } from './desired.js';
import { checkoutAt, defaultBranchTip, readAt } from './git.js';
import { freePort, portFree } from '@idp/providers/ports';
import { baseEnv, listening, startProcess, stopRecorded, type AppProcess } from './process.js';
import { createSecretResolver, type SecretResolver } from './secrets.js';
import { StateFile } from './state.js';
import { removeAllTargets, removeTarget, writeTarget } from './targets.js';

/** Where an environment's output lines go (the VictoriaLogs shipper, providers/src/logs/ship-victorialogs.ts). */
export interface LineShipper {
  push(process: string, line: string): void;
  close?(): Promise<void> | void;
}

export interface LocalRuntimeOptions {
  /** IDP_HOME: the state (runtime/state.json), the checkouts (runtime/checkouts) and the log (logs/runtime.log) go there. */
  home: string;
  /** The bare repositories to watch (the local forge's), asked on every look: new ones are picked up. */
  repos: () => string[];
  /** Prometheus' file_sd folder: one target file per running environment; unset, none are written. */
  targetsDir?: string;
  /**
   * A shipper for one environment's lines; unset, the lines are dropped. `notice` writes to the runtime's log (the
   * store unreachable, lines dropped: never a line's content).
   */
  shipper?: (stream: { component: string; environment: string; notice: (message: string) => void }) => LineShipper;
  /** The platform's secret stores (the embedded SOPS store): where secret references are resolved from. */
  secrets?: SecretsConfig;
  /** How often the default branches are looked at (default 300 ms). */
  pollMs?: number;
  /** How long a web process may take to listen on its port before it counts as crashed (default 60 s, as Heroku's boot timeout). */
  bootTimeoutMs?: number;
  /** How long a process is given to exit after SIGTERM before SIGKILL (default 10 s). */
  stopGraceMs?: number;
  /** Besides runtime.log (the stack's console prints nothing per environment unless given). */
  log?: (message: string) => void;
}

export interface LocalRuntime {
  /** state.json: what the API reads (IDP_RUNTIME_STATE). */
  stateFile: string;
  /** One look at every repository now (instead of at the next poll), done when what it started is spawned. */
  reconcileNow(): Promise<void>;
  /** Stops every process (SIGTERM, SIGKILL after the grace period), removes the targets, records them as stopped. */
  stop(): Promise<void>;
}

interface Run {
  key: string;
  component: string;
  environment: string;
  repo: string;
  commit?: string;
  desired?: DesiredEnvironment;
  /** Bumped whenever its processes are replaced or stopped: callbacks of older processes see it changed and do nothing. */
  gen: number;
  procs: AppProcess[];
  shipper?: LineShipper;
  attempts: number;
  retryAt?: number;
  runningSince?: number;
}

const BACKOFF_MAX_MS = 60_000;
/** A process that ran this long before crashing starts its back-off over. */
const STABLE_MS = 30_000;

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const dir = join(opts.home, 'runtime');
  const checkouts = join(dir, 'checkouts');
  const logFile = join(opts.home, 'logs', 'runtime.log');
  mkdirSync(join(opts.home, 'logs'), { recursive: true });
  const state = new StateFile(join(dir, 'state.json'));
  const resolver: SecretResolver = createSecretResolver(opts.secrets);
  const pollMs = opts.pollMs ?? 300;
  const bootTimeoutMs = opts.bootTimeoutMs ?? 60_000;
  const stopGraceMs = opts.stopGraceMs ?? 10_000;
  const runs = new Map<string, Run>();
  /** The tip each repository was last reconciled at. */
  const tips = new Map<string, string>();
  let stopping = false;
  // One thing at a time: passes, crash handling and boot timeouts take turns, so none sees another half done.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  };

  const log = (m: string) => {
    const line = `${new Date().toISOString()} ${m}`;
    appendFileSync(logFile, line + '\n');
    opts.log?.(m);
  };

  // What a runtime that did not stop cleanly left running: stopped before anything starts (no duplicates), and its
  // records dropped — every environment is reconciled from the repositories again. Ports are kept.
  const leftovers = Object.values(state.data.environments).flatMap((r) => r.processes.map((p) => ({ ...p, key: runtimeKey(r.component, r.environment) })));
  const stoppedLeftovers = await Promise.all(leftovers.map(async (p) => ((await stopRecorded(p.pid, p.startKey)) ? `${p.key} ${p.name} (pid ${p.pid})` : undefined)));
  if (stoppedLeftovers.some(Boolean)) log(`stopped what the last run left running: ${stoppedLeftovers.filter(Boolean).join(', ')}`);
  state.data.environments = {};
  state.save();
  if (opts.targetsDir) removeAllTargets(opts.targetsDir);

  // This process exiting on a path that cannot wait (a crash, process.exit): its apps go with it.
  const killAll = () => {
    for (const run of runs.values()) for (const p of run.procs) p.killNow();
  };
  process.once('exit', killAll);

  const record = (run: Run, patch: Partial<RuntimeRecord> & Pick<RuntimeRecord, 'state'>) => {
    const before = state.get(run.key);
    const changed = before?.state !== patch.state;
    const next: RuntimeRecord = {
      component: run.component,
      environment: run.environment,
      repo: run.repo,
      ...(run.commit ? { commit: run.commit } : {}),
      processes: run.procs.map((p) => ({ name: p.name, pid: p.pid, startKey: p.startKey })),
      ...(changed || !before?.since ? { since: new Date().toISOString() } : { since: before.since }),
      ...(run.desired?.image ? { image: run.desired.image } : {}),
      ...patch,
    };
    // A state that has nothing to say about where it answers, or why, says nothing.
    if (next.state !== 'crashed' && next.state !== 'stopped') delete next.reason;
    if (next.state !== 'running' && next.state !== 'starting') {
      delete next.url;
      delete next.port;
    }
    state.set(run.key, next);
  };

  const portFor = async (key: string): Promise<number> => {
    const kept = state.data.ports[key];
    if (kept && (await portFree(kept))) return kept;
    const taken = new Set(Object.values(state.data.ports));
    for (;;) {
      const port = await freePort();
      if (taken.has(port)) continue;
      state.data.ports[key] = port;
      state.save();
      return port;
    }
  };

  /** Stops its processes (and its target); the environment's record is left to the caller. */
  const stopProcs = async (run: Run) => {
    run.gen++;
    if (opts.targetsDir) removeTarget(opts.targetsDir, run.component, run.environment);
    const procs = run.procs;
    await Promise.all(procs.map((p) => p.stop(stopGraceMs)));
    run.procs = [];
  };

  const crashed = async (run: Run, gen: number, reason: string) => {
    if (gen !== run.gen || stopping) return;
    await stopProcs(run);
    if (run.runningSince && Date.now() - run.runningSince >= STABLE_MS) run.attempts = 0;
    run.runningSince = undefined;
    run.attempts++;
    const delay = Math.min(1000 * 2 ** (run.attempts - 1), BACKOFF_MAX_MS);
    run.retryAt = Date.now() + delay;
    record(run, { state: 'crashed', reason });
    log(`${run.key}: crashed: ${reason}; starting again in ${Math.round(delay / 1000)} s`);
  };

  const start = async (run: Run, desired: DesiredEnvironment, commit: string) => {
    const gen = ++run.gen;
    run.desired = desired;
    run.commit = commit;
    run.retryAt = undefined;
    if (desired.nothing) {
      record(run, { state: 'stopped', reason: desired.nothing });
      return;
    }
    record(run, { state: 'starting' });
    let values: Record<string, string>;
    let cwd: string;
    let port: number;
    try {
      cwd = await checkoutAt(run.repo, commit, join(checkouts, `${run.component}-${commit.slice(0, 12)}`));
      values = await resolver.resolve(desired.secrets);
      port = await portFor(run.key);
    } catch (e) {
      return crashed(run, gen, e instanceof Error ? e.message : String(e));
    }
    if (gen !== run.gen || stopping) return;
    const url = `http://127.0.0.1:${port}`;
    run.shipper ??= opts.shipper?.({ component: run.component, environment: run.environment, notice: (m) => log(`${run.key}: log shipper: ${m}`) });
    const shipper = run.shipper;
    log(`${run.key}: starting ${desired.processes.map((p) => `${p.name} (${p.command.join(' ')})`).join(', ')} from ${commit.slice(0, 12)}, image ${desired.image ?? '-'}${desired.unset.length ? `; not set (resource outputs the local runtime does not provision): ${desired.unset.join(', ')}` : ''}`);
    for (const p of desired.processes) {
      const env = {
        ...baseEnv(),
        ...desired.variables,
        ...values,
        IDP_COMPONENT: run.component,
        IDP_ENVIRONMENT: run.environment,
        IDP_PROCESS: p.name,
        IDP_IMAGE: p.image,
        ...(p.web ? { PORT: String(port) } : {}),
      };
      const proc = startProcess({ name: p.name, command: p.command, cwd, env, onLine: (line) => shipper?.push(p.name, line) });
      run.procs.push(proc);
      // On record at once (synchronously): a runtime killed from here on leaves it for the next one to stop.
      record(run, { state: 'starting', url, port });
      void proc.exited.then(({ code, signal }) => serial(() => crashed(run, gen, `${p.name} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`)));
    }
    const web = desired.processes.find((p) => p.web);
    if (!web) {
      run.runningSince = Date.now();
      record(run, { state: 'running' });
      log(`${run.key}: running`);
      return;
    }
    if (opts.targetsDir) writeTarget(opts.targetsDir, { component: run.component, environment: run.environment, process: web.name, port });
    // Running once the web process listens on its port; crashed if it never does.
    void (async () => {
      const deadline = Date.now() + bootTimeoutMs;
      while (gen === run.gen && !stopping) {
        if (await listening(port)) {
          if (gen !== run.gen || stopping) return;
          run.runningSince = Date.now();
          record(run, { state: 'running', url, port });
          log(`${run.key}: running at ${url}`);
          return;
        }
        if (Date.now() > deadline) return serial(() => crashed(run, gen, `${web.name} did not listen on its PORT (${port}) within ${Math.round(bootTimeoutMs / 1000)} s`));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
  };

  /** What differs between two desired states of an environment, in words for the log. */
  const changes = (a: DesiredEnvironment, b: DesiredEnvironment) => {
    const what: string[] = [];
    if (a.image !== b.image) what.push(`image ${a.image ?? '-'} → ${b.image ?? '-'}`);
    if (JSON.stringify(a.processes.map((p) => [p.name, p.command, p.image])) !== JSON.stringify(b.processes.map((p) => [p.name, p.command, p.image]))) what.push('processes');
    if (JSON.stringify([a.variables, a.unset]) !== JSON.stringify([b.variables, b.unset])) what.push('variables');
    if (JSON.stringify(a.secrets) !== JSON.stringify(b.secrets)) what.push('secrets');
    return what.join(', ') || 'settings';
  };

  /** Destroyed (gone from paws.yaml, or its repository gone): stopped, and forgotten. */
  const remove = async (run: Run) => {
    await stopProcs(run);
    await run.shipper?.close?.();
    runs.delete(run.key);
    state.delete(run.key);
    delete state.data.ports[run.key];
    state.save();
    log(`${run.key}: stopped (no longer in paws.yaml)`);
  };

  const reconcileRepo = async (repo: string, tip: string | undefined) => {
    let desired: DesiredEnvironment[] = [];
    if (tip) {
      const text = await readAt(repo, tip, 'paws.yaml');
      if (text !== undefined) {
        try {
          const { spec } = parsePaws(text, 'paws.yaml');
          desired = await desiredEnvironments(spec, text, 'paws.yaml', (path) => readAt(repo, tip, path));
        } catch (e) {
          // A broken paws.yaml on the default branch: keep running what runs (nothing can be known about the rest).
          if (tips.get(repo) !== tip) log(`${repo}: paws.yaml at ${tip.slice(0, 12)} is not valid, so nothing changes: ${(e as Error).message.split('\n')[0]}`);
          tips.set(repo, tip);
          return;
        }
      }
    }
    const wanted = new Set<string>();
    for (const d of desired) {
      const key = runtimeKey(d.component, d.environment);
      let run = runs.get(key);
      if (run && run.repo !== repo) {
        if (tips.get(repo) !== tip) log(`${key}: also named by ${repo}; ${run.repo} runs it`);
        continue;
      }
      wanted.add(key);
      if (!run) {
        run = { key, component: d.component, environment: d.environment, repo, gen: 0, procs: [], attempts: 0 };
        runs.set(key, run);
        await start(run, d, tip!);
      } else if (run.desired?.fingerprint !== d.fingerprint) {
        log(`${key}: ${changes(run.desired!, d)} changed at ${tip!.slice(0, 12)}: restarting`);
        await stopProcs(run);
        run.attempts = 0;
        await start(run, d, tip!);
      } else {
        run.desired = d;
      }
    }
    for (const run of [...runs.values()]) if (run.repo === repo && !wanted.has(run.key)) await remove(run);
    if (tip) tips.set(repo, tip);
    else tips.delete(repo);
  };

  /** Removes the checkouts no process runs in any more. */
  const pruneCheckouts = () => {
    const used = new Set([...runs.values()].filter((r) => r.commit).map((r) => `${r.component}-${r.commit!.slice(0, 12)}`));
    let names: string[] = [];
    try {
      names = readdirSync(checkouts);
    } catch {
      return;
    }
    for (const n of names) if (!used.has(n) && !n.includes('.tmp-')) rmSync(join(checkouts, n), { recursive: true, force: true });
  };

  /** One look at every repository: reconcile those whose tip moved (or that went away), retry what crashed. */
  const pass = async () => {
    const repos = new Set(opts.repos());
    let changed = false;
    for (const repo of new Set([...repos, ...tips.keys()])) {
      const tip = repos.has(repo) ? defaultBranchTip(repo) : undefined;
      if (tip === null) continue; // unreadable just now: what runs keeps running
      if (tip === tips.get(repo) && (tip || !tips.has(repo))) continue;
      await reconcileRepo(repo, tip);
      changed = true;
      if (stopping) return;
    }
    for (const run of runs.values()) {
      if (stopping) return;
      if (run.retryAt !== undefined && run.retryAt <= Date.now() && run.desired && run.commit) {
        await start(run, run.desired, tips.get(run.repo) ?? run.commit);
        changed = true;
      }
    }
    if (changed) pruneCheckouts();
  };

  const guardedPass = () => serial(pass).catch((e: unknown) => log(`reconcile failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  // The loop: a pass, a pause; stop() wakes it.
  let wake: () => void = () => {};
  const loop = (async () => {
    while (!stopping) {
      await guardedPass();
      if (stopping) break;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, pollMs);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
  })();

  return {
    stateFile: state.path,
    async reconcileNow() {
      await serial(pass);
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      wake();
      await loop;
      await chain;
      await Promise.all(
        [...runs.values()].map(async (run) => {
          await stopProcs(run);
          await run.shipper?.close?.();
          record(run, { state: 'stopped', reason: 'the embedded stack stopped' });
        }),
      );
      process.off('exit', killAll);
      log('stopped');
    },
  };
}
