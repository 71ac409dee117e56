/**
 * Git's smart HTTP protocol for the forge fakes, served by the real `git http-backend` (run as a CGI program, one
 * process per request, against a bare repository on disk): a client that pushes to or clones from a fake's
 * `clone_url` speaks to real git, not to a hand-written imitation of the protocol.
 */
import { spawn } from 'node:child_process';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { basename, dirname } from 'node:path';
import { gitEnv } from './repos.js';

/** `/{owner}/{name}.git/info/refs`, `…/git-upload-pack`, `…/git-receive-pack` (GitHub also answers without `.git`). */
export function gitHttpPath(pathname: string): { owner: string; name: string; service: string } | null {
  const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?(\/info\/refs|\/git-upload-pack|\/git-receive-pack)$/.exec(pathname);
  return m ? { owner: decodeURIComponent(m[1]!), name: decodeURIComponent(m[2]!), service: m[3]! } : null;
}

/** The token a git client sends: Basic auth's password (any user name, as GitHub's `x-access-token`), or the user name alone. */
export function basicAuthToken(headers: IncomingHttpHeaders): string | undefined {
  const m = /^basic\s+(.+)$/i.exec(headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return password && password !== 'x-oauth-basic' ? password : user || undefined;
}

/**
 * Answer one smart-HTTP request for the bare repository `gitdir` with `git http-backend`. `remoteUser` is the
 * authenticated user: http-backend accepts pushes (receive-pack) only when one is set.
 */
export function serveGitHttp(
  res: ServerResponse,
  req: { method: string; service: string; query: string; headers: IncomingHttpHeaders; body: Buffer },
  gitdir: string,
  remoteUser: string,
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...gitEnv(),
    GIT_PROJECT_ROOT: dirname(gitdir),
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${basename(gitdir)}${req.service}`,
    REQUEST_METHOD: req.method,
    QUERY_STRING: req.query,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    CONTENT_LENGTH: String(req.body.length),
    REMOTE_USER: remoteUser,
    REMOTE_ADDR: '127.0.0.1',
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const raw = Buffer.concat(out);
      // CGI output: header lines, a blank line, the body; the status comes as a `Status:` header (default 200).
      const crlf = raw.indexOf('\r\n\r\n');
      const lf = raw.indexOf('\n\n');
      const [end, sep] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
      if (end < 0) return reject(new Error(`git http-backend exited ${code} without a response: ${Buffer.concat(err).toString('utf8')}`));
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of raw.subarray(0, end).toString('utf8').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(raw.subarray(end + sep));
      resolve();
    });
    // http-backend may exit without reading its input (an info/refs GET, a refusal): writing to it then fails with
    // EPIPE, which is no error of the request — its answer is on stdout. Unhandled, it would crash the test process.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(e);
    });
    child.stdin.end(req.body);
  });
}
