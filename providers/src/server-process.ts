/**
 * A store the embedded stack and the tests run as a child process (VictoriaLogs, Prometheus): started with its output
 * in a log file, ready when its readiness URL says so, never outliving this process, stopped with SIGTERM (SIGKILL
 * after 10 s). `kill()` is the crash the durability tests need; `restart()` starts it again on the same port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid(): number | undefined;
  stop(): Promise<void>;
  /** SIGKILL, and wait until it is gone (acknowledged-but-unflushed data may be lost, as on a crash). */
  kill(): Promise<void>;
  /** Started again with the same arguments (after stop or kill). */
  restart(): Promise<void>;
}

export interface ServerSpec {
  /** For messages: "VictoriaLogs". */
  name: string;
  bin: string;
  args: string[];
  port: number;
  host?: string;
  logFile: string;
  /** GET this path; ready when it answers 2xx. */
  readyPath: string;
  readyTimeoutMs?: number;
}

export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const host = spec.host ?? '127.0.0.1';
  const url = `http://${host}:${spec.port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<number | null> = Promise.resolve(null);

  const launch = async () => {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    const log = openSync(spec.logFile, 'a');
    const c = spawn(spec.bin, spec.args, { stdio: ['ignore', log, log] });
    closeSync(log);
    child = c;
    exited = new Promise((resolve) => c.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
    // Never outlive this process: an exit on a path that cannot wait (a crash, process.exit) kills it outright.
    const killOnExit = () => c.kill('SIGKILL');
    process.once('exit', killOnExit);
    c.once('exit', () => process.off('exit', killOnExit));
    const deadline = Date.now() + (spec.readyTimeoutMs ?? 60_000);
    for (;;) {
      const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('waiting'), 100))]);
      if (early !== 'waiting') throw new Error(`${spec.name} exited with code ${early} while starting; see ${spec.logFile}.`);
      try {
        const res = await fetch(`${url}${spec.readyPath}`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`${spec.name} did not answer on ${url} within ${Math.round((spec.readyTimeoutMs ?? 60_000) / 1000)} s; see ${spec.logFile}.`);
      }
    }
  };
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  await launch();
  return {
    url,
    port: spec.port,
    pid: () => (running() ? child?.pid : undefined),
    stop: async () => {
      if (!running()) return;
      child!.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (running()) child!.kill('SIGKILL');
      await exited;
    },
    kill: async () => {
      if (!running()) return;
      child!.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      if (running()) throw new Error(`${spec.name} is still running; stop or kill it first.`);
      await launch();
    },
  };
}
