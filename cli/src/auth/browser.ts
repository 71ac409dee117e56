/** Opens a URL in the user's browser, the way each OS does it; false when there is no way (the URL is printed anyway). */
import { spawn } from 'node:child_process';

export function openBrowser(url: string, env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): Promise<boolean> {
  // BROWSER is the usual override (and how a test or a headless box says "none": BROWSER=none is not run).
  const custom = env.BROWSER;
  if (custom === 'none') return Promise.resolve(false);
  const [cmd, args] = custom
    ? [custom, [url]]
    : platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url.replace(/&/g, '^&')]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}
