/**
 * A real moto_server (AWS Secrets Manager and the rest of AWS, in memory) on a free 127.0.0.1 port, for tests.
 * `npm test` installs moto first (scripts/test.mjs → ensureMoto); run alone, a missing moto says how to get it.
 */
import { spawn } from 'node:child_process';
import { findMoto, MOTO_MISSING } from '../secrets/tools.js';

export interface Moto {
  /** e.g. http://127.0.0.1:41233 */
  url: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const bin = findMoto();
  if (!bin) throw new Error(`${MOTO_MISSING} (\`node scripts/test.mjs\` installs it.)`);
  // Port 0: the OS picks a free port, and werkzeug prints the one it got.
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      log = (log + chunk).slice(-4000);
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m) resolve(m[1]!);
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`moto_server exited before it listened:\n${log}`)));
  });
  // Keep draining its access log so a full pipe never blocks it.
  child.stderr.resume();
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
