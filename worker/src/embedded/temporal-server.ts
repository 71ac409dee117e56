/**
 * The Temporal dev server of the embedded stack: `temporal server start-dev`
 * with a SQLite file under IDP_HOME, the Web UI on, and idp's search
 * attributes registered. Stopped with SIGTERM on shutdown, killed if this
 * process exits without stopping it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '@idp/workflows/shared';

const SA_TYPE: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', BOOL: 'Bool', DOUBLE: 'Double', DATETIME: 'Datetime', KEYWORD_LIST: 'KeywordList' };

export function searchAttributeArgs(): string[] {
  return SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SA_TYPE[k.type] ?? 'Keyword'}`]);
}

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

export async function startDevServer(opts: { cli: string; home: string; port: number; uiPort: number; host?: string }): Promise<DevServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = openSync(join(opts.home, 'logs', 'temporal.log'), 'a');
  const child: ChildProcess = spawn(
    opts.cli,
    [
      'server', 'start-dev',
      '--db-filename', join(opts.home, 'temporal.db'),
      '--ip', host,
      '--port', String(opts.port),
      '--ui-port', String(opts.uiPort),
      '--log-level', 'warn',
      // Fewer fsyncs: the dev server is for one laptop, not for surviving power loss.
      '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=OFF',
      // The worker asks for each activity it schedules to be handed back with the workflow task's answer (the TS SDK
      // does by default); the server grants it only with this on (off by default). Without it every activity waited
      // ~40 ms to be dispatched through the task queue (`npm run bench`: clone → PR URL 250 ms → 150 ms before the
      // PR was proposed by local activities; releases and PR polls still run as activities).
      '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
      ...searchAttributeArgs(),
    ],
    { stdio: ['ignore', log, log] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never outlive this process. stop() waits for the server's own shutdown; an exit on any other path (a signal
  // while starting, a crash) cannot wait, so it kills the server outright (its SQLite state survives a kill).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const address = `${host}:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise((r) => setTimeout(() => r('waiting'), 250))]);
    if (early !== 'waiting') throw new Error(`The Temporal dev server exited with code ${early}; see ${join(opts.home, 'logs', 'temporal.log')}.`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`The Temporal dev server did not answer on ${address} within 60 s; see ${join(opts.home, 'logs', 'temporal.log')}.`);
      }
    }
  }
  return {
    address,
    uiUrl: `http://${host}:${opts.uiPort}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
