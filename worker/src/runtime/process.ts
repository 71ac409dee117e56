/**
 * One app process of the local runtime (`web.1`): `command` + `args` of its Score container, run in a plain copy of
 * the merged commit, with a clean environment (the environment's variables and secrets, PORT, IDP_IMAGE… and a few of
 * the host's basics — never the stack's own settings or credentials), each output line handed on as it is read.
 *
 * Each process leads a process group of its own, so stopping it stops whatever it started too (SIGTERM to the group,
 * SIGKILL after a grace period). A process is recognised later — after the stack was killed — by its pid plus its
 * start time (`startKey`), so a pid the system has since given to another process is never signalled.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export interface AppProcess {
  name: string;
  pid: number;
  startKey: string;
  /** Resolves with how it ended: an exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to its group, at once (this process is exiting and cannot wait). */
  killNow(): void;
}

export interface StartProcess {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Each line of its stdout and stderr, as it is read. */
  onLine(line: string): void;
}

/** What an app process inherits from the host: enough to find programs and run, nothing of the stack's settings. */
const HOST_BASICS = ['HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'TERM'];

export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of HOST_BASICS) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  // `node` in a command is the Node this stack runs on (the registry's Node 24 where the machine's is older).
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`;
  return env;
}

/** The start time of `pid` (clock ticks since boot, /proc; elsewhere `ps`'s lstart), or undefined when there is no such process. */
export function processStartKey(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    if (process.platform === 'linux') return undefined;
  }
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 && ps.stdout.trim() ? ps.stdout.trim() : undefined;
}

/** Kills a process an earlier run of the runtime started (and its group), if it is still that process. */
export async function stopRecorded(pid: number, startKey: string, graceMs = 5_000): Promise<boolean> {
  if (processStartKey(pid) !== startKey) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processStartKey(pid) === startKey && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (processStartKey(pid) === startKey) signalGroup(pid, 'SIGKILL');
  while (processStartKey(pid) === startKey) await new Promise((r) => setTimeout(r, 20));
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (should not happen): the process alone
    } catch {
      // gone
    }
  }
}

export function startProcess(spec: StartProcess): AppProcess {
  const [cmd, ...args] = spec.command as [string, ...string[]];
  const child: ChildProcess = spawn(cmd, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // A command that cannot be started (ENOENT, EACCES) reports an error and no exit of its own.
    child.once('error', (e: NodeJS.ErrnoException) => {
      spec.onLine(`cannot start ${cmd}: ${e.code ?? e.message}`);
      resolve({ code: 127, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', spec.onLine);
  }
  const pid = child.pid ?? -1;
  const startKey = (pid > 0 && processStartKey(pid)) || '';
  const running = () => child.exitCode === null && child.signalCode === null && pid > 0;
  return {
    name: spec.name,
    pid,
    startKey,
    exited,
    async stop(graceMs = 10_000) {
      if (running()) {
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Whatever it left in its group (children that outlived it).
      if (pid > 0) signalGroup(pid, 'SIGKILL');
    },
    killNow() {
      if (pid > 0) signalGroup(pid, 'SIGKILL');
    },
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
