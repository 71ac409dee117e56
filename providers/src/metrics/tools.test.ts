/**
 * Getting Prometheus on a first start: an installed one, else the official release (tried first, checked against its
 * sha256sums.txt, bounded in time), else a Go build. No network: the release is served from loopback with real bytes
 * (a tarball laid out as Prometheus's), or the steps are replaced by ones that record what was tried.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { c as tarCreate } from 'tar';
import { downloadedPrometheus, ensurePrometheus, findPrometheus, PROMETHEUS_MODULE, PROMETHEUS_MODULE_VERSION, PROMETHEUS_VERSION, prometheusTarball, type PrometheusSources } from './tools.js';

const TARBALL = prometheusTarball();

/** A tools dir, and sources that record what was tried (no network, no Go). */
function setup(t: TestContext, over: Partial<PrometheusSources> = {}, timeouts = { probeTimeoutMs: 100, downloadTimeoutMs: 100 }) {
  const tools = mkdtempSync(join(tmpdir(), 'idp-prom-tools-'));
  t.after(() => rmSync(tools, { recursive: true, force: true }));
  const tried: string[] = [];
  const logs: string[] = [];
  const sources: PrometheusSources = {
    probe: async () => void tried.push('probe'),
    download: async (file) => {
      tried.push('download');
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '#!/bin/sh\n', { mode: 0o755 });
    },
    build: (bin) => {
      tried.push('go install');
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'prometheus'), '#!/bin/sh\n', { mode: 0o755 });
      return true;
    },
    ...over,
  };
  const ensure = (opts: { env?: NodeJS.ProcessEnv; releases?: string; real?: boolean } = {}) =>
    ensurePrometheus({ toolsDir: tools, env: opts.env ?? { PATH: '' }, log: (m) => logs.push(m), ...timeouts, ...(opts.releases ? { releases: opts.releases } : {}), sources: opts.real ? { build: sources.build } : sources });
  return { tools, tried, logs, ensure };
}

/** A loopback "GitHub release": sha256sums.txt and a tarball holding prometheus-<v>.<os>-<arch>/prometheus. */
async function release(t: TestContext, opts: { corrupt?: boolean; stall?: boolean } = {}) {
  assert.ok(TARBALL, 'this platform has a release tarball');
  const dir = mkdtempSync(join(tmpdir(), 'idp-prom-release-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stem = TARBALL.replace(/\.tar\.gz$/, '');
  mkdirSync(join(dir, stem));
  writeFileSync(join(dir, stem, 'prometheus'), '#!/bin/sh\necho "prometheus, version 3.16.0"\n', { mode: 0o755 });
  writeFileSync(join(dir, stem, 'promtool'), 'not wanted\n');
  await tarCreate({ gzip: true, file: join(dir, TARBALL), cwd: dir }, [stem]);
  const bytes = readFileSync(join(dir, TARBALL));
  const sha = createHash('sha256').update(opts.corrupt ? Buffer.from('something else') : bytes).digest('hex');
  const sums = `${'0'.repeat(64)}  prometheus-${PROMETHEUS_VERSION}.windows-amd64.zip\n${sha}  ${TARBALL}\n`;
  const asked: string[] = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    if (req.url === `/prometheus/releases/download/v${PROMETHEUS_VERSION}/sha256sums.txt`) return res.end(sums);
    if (req.url === `/prometheus/releases/download/v${PROMETHEUS_VERSION}/${TARBALL}`) {
      if (!opts.stall) return res.end(bytes);
      // Half the file, then nothing: a connection that stalls mid-download.
      res.writeHead(200, { 'content-length': String(bytes.length) });
      res.write(bytes.subarray(0, bytes.length >> 1));
      open.add(res);
      return;
    }
    res.statusCode = req.method === 'HEAD' ? 200 : 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const r of open) r.destroy();
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return { releases: `http://127.0.0.1:${port}/prometheus/releases/download`, asked };
}

/** Until no `.download-` directory is left beside the install (an aborted download cleans up when it notices). */
async function noLeftovers(tools: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (readdirSync(tools).some((f) => f.includes('.download-'))) {
    assert.ok(Date.now() < deadline, `a partial download is left in ${tools}: ${readdirSync(tools).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('getting Prometheus on a first start', () => {
  it('uses an installed one (PROMETHEUS_BIN, PATH, a download, a Go build) and fetches nothing', async (t) => {
    const { tools, tried, ensure } = setup(t);
    const onPath = join(tools, 'path');
    mkdirSync(onPath);
    writeFileSync(join(onPath, 'prometheus'), '');
    assert.equal(await ensure({ env: { PATH: onPath } }), join(onPath, 'prometheus'));
    assert.equal(await ensure({ env: { PATH: '', PROMETHEUS_BIN: join(onPath, 'prometheus') } }), join(onPath, 'prometheus'));
    assert.throws(() => findPrometheus({ toolsDir: tools, env: { PROMETHEUS_BIN: join(tools, 'nope') } }), /PROMETHEUS_BIN=.*does not exist/);
    mkdirSync(join(tools, 'bin'));
    writeFileSync(join(tools, 'bin', 'prometheus'), '');
    assert.equal(findPrometheus({ toolsDir: tools, env: { PATH: '' } }), null, 'a Go build without its version marker is not trusted');
    writeFileSync(join(tools, 'bin', 'prometheus.version'), `${PROMETHEUS_MODULE_VERSION}\n`);
    assert.equal(await ensure(), join(tools, 'bin', 'prometheus'));
    mkdirSync(join(tools, `prometheus-${PROMETHEUS_VERSION}`));
    writeFileSync(downloadedPrometheus(tools), '');
    assert.equal(await ensure(), downloadedPrometheus(tools), 'a download is preferred to a Go build');
    assert.deepEqual(tried, []);
  });

  it('tries the official download before any Go build, into .tools/prometheus-<version>', async (t) => {
    const { tools, tried, logs, ensure } = setup(t);
    assert.equal(await ensure(), downloadedPrometheus(tools));
    assert.equal(downloadedPrometheus(tools), join(tools, `prometheus-${PROMETHEUS_VERSION}`, 'prometheus'));
    assert.deepEqual(tried, ['probe', 'download']);
    assert.match(logs.join('\n'), /downloading the official release 3\.16\.0 from GitHub/);
    assert.equal(findPrometheus({ toolsDir: tools, env: { PATH: '' } }), downloadedPrometheus(tools), 'found next time');
  });

  it('falls back to go install when the download fails, saying why', async (t) => {
    const { tools, tried, logs, ensure } = setup(t, {
      download: async () => {
        tried.push('download');
        throw new Error('getaddrinfo ENOTFOUND github.com');
      },
    });
    assert.equal(await ensure(), join(tools, 'bin', 'prometheus'));
    assert.deepEqual(tried, ['probe', 'download', 'go install']);
    assert.match(logs.join('\n'), new RegExp(`official download failed \\(getaddrinfo ENOTFOUND github\\.com\\); building Prometheus with \`go install ${PROMETHEUS_MODULE.replace(/[.]/g, '\\.')}\``));
    assert.equal(readFileSync(join(tools, 'bin', 'prometheus.version'), 'utf8').trim(), PROMETHEUS_MODULE_VERSION);
  });

  it('falls back fast when github.com does not answer (a network that drops packets)', async (t) => {
    const { tried, logs, ensure } = setup(t, { probe: () => new Promise(() => {}) });
    // A probe that never answers would hang here without the probe's own bound (0.1 s, injected): the log names it.
    await ensure();
    assert.deepEqual(tried, ['go install']);
    assert.match(logs.join('\n'), /github\.com did not answer within 0\.1 s/);
  });

  it('bounds a download that stalls, and aborts it', async (t) => {
    let aborted = false;
    const { tried, logs, ensure } = setup(t, { download: (_file, signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))) });
    await ensure();
    assert.ok(aborted);
    assert.deepEqual(tried, ['probe', 'go install']);
    assert.match(logs.join('\n'), /the download did not finish within 0\.1 s/);
  });

  it('returns null when there is neither a download nor Go', async (t) => {
    const { ensure } = setup(t, { download: () => Promise.reject(new Error('offline')), build: () => false });
    assert.equal(await ensure(), null);
  });

  it('downloads the release for this platform, checks it against sha256sums.txt and keeps only prometheus', async (t) => {
    const { releases, asked } = await release(t);
    const { tools, tried, ensure } = setup(t, {}, { probeTimeoutMs: 5_000, downloadTimeoutMs: 60_000 });
    const path = await ensure({ releases, real: true });
    assert.equal(path, downloadedPrometheus(tools));
    assert.deepEqual(tried, [], 'no Go build');
    assert.ok(statSync(path!).mode & 0o100, 'executable');
    assert.match(readFileSync(path!, 'utf8'), /version 3\.16\.0/);
    assert.deepEqual(readdirSync(join(tools, `prometheus-${PROMETHEUS_VERSION}`)), ['prometheus']);
    assert.deepEqual(asked, ['HEAD /', `GET /prometheus/releases/download/v${PROMETHEUS_VERSION}/sha256sums.txt`, `GET /prometheus/releases/download/v${PROMETHEUS_VERSION}/${TARBALL}`]);
    await noLeftovers(tools);
  });

  it('refuses a tarball that does not match sha256sums.txt, installs nothing and builds instead', async (t) => {
    const { releases } = await release(t, { corrupt: true });
    const { tools, tried, logs, ensure } = setup(t, {}, { probeTimeoutMs: 5_000, downloadTimeoutMs: 60_000 });
    assert.equal(await ensure({ releases, real: true }), join(tools, 'bin', 'prometheus'));
    assert.deepEqual(tried, ['go install']);
    assert.match(logs.join('\n'), /does not match sha256sums\.txt/);
    assert.equal(existsSync(join(tools, `prometheus-${PROMETHEUS_VERSION}`)), false);
    await noLeftovers(tools);
  });

  it('gives up on a release download that stalls midway, leaving nothing half-written', async (t) => {
    const { releases } = await release(t, { stall: true });
    const { tools, tried, logs, ensure } = setup(t, {}, { probeTimeoutMs: 5_000, downloadTimeoutMs: 500 });
    assert.equal(await ensure({ releases, real: true }), join(tools, 'bin', 'prometheus'));
    assert.deepEqual(tried, ['go install']);
    assert.match(logs.join('\n'), /the download did not finish within 0\.5 s/);
    await noLeftovers(tools);
    assert.equal(existsSync(join(tools, `prometheus-${PROMETHEUS_VERSION}`)), false);
  });

  it('names the tarball Prometheus publishes for each platform', () => {
    assert.equal(prometheusTarball('3.16.0', 'linux', 'x64'), 'prometheus-3.16.0.linux-amd64.tar.gz');
    assert.equal(prometheusTarball('3.16.0', 'linux', 'arm64'), 'prometheus-3.16.0.linux-arm64.tar.gz');
    assert.equal(prometheusTarball('3.16.0', 'darwin', 'arm64'), 'prometheus-3.16.0.darwin-arm64.tar.gz');
    assert.equal(prometheusTarball('3.16.0', 'linux', 'arm'), 'prometheus-3.16.0.linux-armv7.tar.gz');
    assert.equal(prometheusTarball('3.16.0', 'win32', 'x64'), null, 'Windows gets a .zip: built instead');
  });
});
