import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTemporalCli, goAtLeast, goToolchainModule, TEMPORAL_CLI_MODULE, type CliSources } from './temporal-cli.js';

/** A tools dir, an empty PATH, and sources that record what was tried (no network, no Go). */
function setup(t: TestContext, over: Partial<CliSources> = {}) {
  const tools = mkdtempSync(join(tmpdir(), 'idp-tools-'));
  t.after(() => rmSync(tools, { recursive: true, force: true }));
  const tried: string[] = [];
  const logs: string[] = [];
  const sources: CliSources = {
    probe: async () => void tried.push('probe'),
    download: async (dest) => {
      tried.push('download');
      writeFileSync(dest, '#!/bin/sh\n', { mode: 0o755 });
    },
    output: (cmd, args) => (tried.push(`${cmd} ${args.join(' ')}`), args[1] === 'GOVERSION' ? 'go1.26.0\n' : null),
    run: (cmd, args) => void tried.push(`${cmd} ${args.join(' ')}`),
    ...over,
  };
  const ensure = (env: NodeJS.ProcessEnv = { PATH: '' }) => ensureTemporalCli(tools, { env, sources, log: (m) => logs.push(m), probeTimeoutMs: 100, downloadTimeoutMs: 100 });
  return { tools, tried, logs, ensure };
}

const goInstall = `go install ${TEMPORAL_CLI_MODULE}`;

describe('getting the Temporal CLI on a first start', () => {
  it('uses an installed CLI (TEMPORAL_CLI, PATH, .tools/bin) and fetches nothing', async (t) => {
    const { tools, tried, ensure } = setup(t);
    mkdirSync(join(tools, 'bin'));
    writeFileSync(join(tools, 'bin', 'temporal'), '');
    assert.equal(await ensure(), join(tools, 'bin', 'temporal'));
    assert.equal(await ensure({ PATH: '', TEMPORAL_CLI: join(tools, 'bin', 'temporal') }), join(tools, 'bin', 'temporal'));
    assert.deepEqual(tried, []);
  });

  it('tries the official download before any Go build, and keeps it in .tools/bin', async (t) => {
    const { tools, tried, logs, ensure } = setup(t);
    assert.equal(await ensure(), join(tools, 'bin', 'temporal'));
    assert.deepEqual(tried, ['probe', 'download']);
    assert.match(logs.join('\n'), /downloading the official build/);
    assert.ok(statSync(join(tools, 'bin', 'temporal')).isFile());
  });

  it('falls back to go install when the download fails, saying why', async (t) => {
    const { tools, tried, logs, ensure } = setup(t, {
      download: async () => {
        tried.push('download');
        throw new Error('dns error: failed to lookup address information');
      },
    });
    assert.equal(await ensure(), join(tools, 'bin', 'temporal'));
    assert.deepEqual(tried, ['probe', 'download', 'go env GOVERSION', goInstall]);
    assert.match(logs.join('\n'), /official download failed \(dns error.*\); building the Temporal CLI with Go/);
  });

  it('falls back fast when temporal.download does not answer (a network that drops packets)', async (t) => {
    const { tried, logs, ensure } = setup(t, { probe: () => new Promise(() => {}) });
    // A probe that never answers would hang here without the probe's own timeout (0.1 s, injected): the log names it.
    await ensure();
    assert.deepEqual(tried, ['go env GOVERSION', goInstall]);
    assert.match(logs.join('\n'), /temporal\.download did not answer within 0\.1 s/);
  });

  it('bounds a download that stalls, and aborts it', async (t) => {
    let aborted = false;
    const { tried, ensure } = setup(t, { download: (_dest, signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))) });
    await ensure();
    assert.ok(aborted);
    assert.deepEqual(tried, ['probe', 'go env GOVERSION', goInstall]);
  });

  it('returns null when there is neither a download nor Go', async (t) => {
    const { ensure } = setup(t, { download: () => Promise.reject(new Error('offline')), output: () => null });
    assert.equal(await ensure(), null);
  });

  it('with a Go too old for the CLI (Debian 12: 1.19), builds with Go 1.25 fetched from the module proxy', async (t) => {
    const fetched = mkdtempSync(join(tmpdir(), 'idp-toolchain-'));
    t.after(() => rmSync(fetched, { recursive: true, force: true }));
    for (const d of ['bin', 'pkg/tool/linux_amd64']) mkdirSync(join(fetched, d), { recursive: true });
    writeFileSync(join(fetched, 'bin', 'go'), '', { mode: 0o444 }); // module zips carry no file modes
    writeFileSync(join(fetched, 'pkg/tool/linux_amd64', 'compile'), '', { mode: 0o444 });
    const envs: NodeJS.ProcessEnv[] = [];
    const { tried, ensure } = setup(t, {
      download: () => Promise.reject(new Error('offline')),
      output: (cmd, args) => {
        tried.push(`${cmd} ${args.join(' ')}`);
        return args[1] === 'GOVERSION' ? 'go1.19.8\n' : JSON.stringify({ Path: 'golang.org/toolchain', Dir: fetched });
      },
      run: (cmd, args, env) => {
        tried.push(`${cmd} ${args.join(' ')}`);
        envs.push(env);
      },
    });
    await ensure({ PATH: '', GOROOT: '/usr/lib/go-1.19' });
    assert.deepEqual(tried, ['probe', 'go env GOVERSION', `go mod download -json ${goToolchainModule('1.25.0')}`, `${join(fetched, 'bin', 'go')} install ${TEMPORAL_CLI_MODULE}`]);
    assert.equal(envs[0]!.GOTOOLCHAIN, 'local');
    assert.equal(envs[0]!.GOROOT, undefined);
    assert.ok(statSync(join(fetched, 'bin', 'go')).mode & 0o100);
    assert.ok(statSync(join(fetched, 'pkg/tool/linux_amd64', 'compile')).mode & 0o100);
  });

  it('knows which Go can build it and what the proxy calls a Go release', () => {
    assert.equal(goAtLeast('go1.19.8', '1.25.0'), false);
    assert.equal(goAtLeast('go1.24.9', '1.25.0'), false);
    assert.equal(goAtLeast('go1.25.0', '1.25.0'), true);
    assert.equal(goAtLeast('go1.26', '1.25.0'), true);
    assert.equal(goAtLeast('devel go1.27-abc', '1.25.0'), true);
    assert.equal(goToolchainModule('1.25.0', 'linux', 'x64'), 'golang.org/toolchain@v0.0.1-go1.25.0.linux-amd64');
    assert.equal(goToolchainModule('1.25.0', 'darwin', 'arm64'), 'golang.org/toolchain@v0.0.1-go1.25.0.darwin-arm64');
  });
});
