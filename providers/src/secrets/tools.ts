/**
 * The programs the secret stores need on this machine, found or installed the way the Temporal CLI is
 * (worker/src/embedded/temporal-cli.ts): an installed one first, else a build under <repo>/.tools, once.
 *
 * - `sops` v3.13.3 (the SOPS store): SOPS_BIN, then PATH, then .tools/bin/sops; else
 *   `go install github.com/getsops/sops/v3/cmd/sops@v3.13.3` with GOBIN=.tools/bin (~80 s once; Go from the module proxy).
 * - an age identity (the SOPS store's key): generated with `age-encryption` (typage, by age's author), so neither
 *   Debian's `age` nor apt is needed; sops carries its own age implementation for encrypting and decrypting.
 * - `moto_server` 5.2.5 (the AWS Secrets Manager the tests run against): MOTO_SERVER, then .tools/moto/bin/moto_server;
 *   else a Python venv at .tools/moto with `pip install moto[server]==5.2.5` (~20–40 s once).
 * Each step that installs says so, and why, through `log`; a missing prerequisite says exactly what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { goInstall } from '../go-toolchain.js';

export const SOPS_VERSION = '3.13.3';
export const SOPS_MODULE = `github.com/getsops/sops/v3/cmd/sops@v${SOPS_VERSION}`;
export const MOTO_VERSION = '5.2.5';
/** <repo>/.tools (this file is providers/dist/secrets/tools.js). */
export const TOOLS_DIR = fileURLToPath(new URL('../../../.tools', import.meta.url));

export interface ToolOptions {
  toolsDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (m: string) => void;
}

/** `sops --version` says `sops <version>` (the update check, which wants the network, turned off). */
function sopsVersion(bin: string): string | null {
  try {
    const out = execFileSync(bin, ['--version', '--disable-version-check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return /^sops (\S+)/.exec(out)?.[1] ?? null;
  } catch {
    return null;
  }
}

/** An installed sops v3.13.3, or null. SOPS_BIN is taken as is (whatever its version), but must exist. */
export function findSops(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.SOPS_BIN) {
    if (!existsSync(env.SOPS_BIN)) throw new Error(`SOPS_BIN=${env.SOPS_BIN} does not exist.`);
    return env.SOPS_BIN;
  }
  const candidates = [...(env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'sops')), join(opts.toolsDir ?? TOOLS_DIR, 'bin', 'sops')];
  return candidates.find((c) => existsSync(c) && sopsVersion(c) === SOPS_VERSION) ?? null;
}

export const SOPS_MISSING = `The SOPS secret store needs sops v${SOPS_VERSION}: install Go (https://go.dev/dl/, or Debian's golang-go) so idp can build it (\`go install ${SOPS_MODULE}\`), or install sops v${SOPS_VERSION} on PATH, or set SOPS_BIN.`;

/** sops v3.13.3's path, built with Go into <tools>/bin when none is installed; null when there is no Go. */
export function ensureSops(opts: ToolOptions = {}): string | null {
  const found = findSops(opts);
  if (found) return found;
  const bin = join(opts.toolsDir ?? TOOLS_DIR, 'bin');
  const log = opts.log ?? (() => {});
  log(`No sops v${SOPS_VERSION} (SOPS_BIN, PATH, .tools/bin): building it with \`go install ${SOPS_MODULE}\` into ${bin} (once, ~80 s)...`);
  if (!goInstall(SOPS_MODULE, SOPS_GO, bin, { env: opts.env ?? process.env, log, what: `sops v${SOPS_VERSION}` })) return null;
  const sops = join(bin, 'sops');
  if (sopsVersion(sops) !== SOPS_VERSION) throw new Error(`\`go install ${SOPS_MODULE}\` left no working sops in ${bin}.`);
  return sops;
}

/** The `go` line of sops v3.13.3's go.mod. */
export const SOPS_GO = '1.25.8';

/** The moto_server of the venv this file installs (the marker names the version pip installed), or MOTO_SERVER. */
export function findMoto(opts: ToolOptions = {}): string | null {
  const env = opts.env ?? process.env;
  if (env.MOTO_SERVER) {
    if (!existsSync(env.MOTO_SERVER)) throw new Error(`MOTO_SERVER=${env.MOTO_SERVER} does not exist.`);
    return env.MOTO_SERVER;
  }
  const venv = join(opts.toolsDir ?? TOOLS_DIR, 'moto');
  const server = join(venv, 'bin', 'moto_server');
  return existsSync(server) && readMarker(venv) === MOTO_VERSION ? server : null;
}

export const MOTO_MISSING = `The AWS Secrets Manager tests run moto_server ${MOTO_VERSION}: install Python 3 with its venv module (Debian: apt-get install python3 python3-venv) so idp can install moto into .tools/moto, or set MOTO_SERVER to a moto_server.`;

/** moto_server's path, installed into a venv at <tools>/moto when missing; null when there is no python3 with venv. */
export function ensureMoto(opts: ToolOptions = {}): string | null {
  const found = findMoto(opts);
  if (found) return found;
  const env = opts.env ?? process.env;
  const venv = join(opts.toolsDir ?? TOOLS_DIR, 'moto');
  rmSync(venv, { recursive: true, force: true });
  opts.log?.(`No moto_server ${MOTO_VERSION} (MOTO_SERVER, .tools/moto): installing moto[server]==${MOTO_VERSION} into a venv at ${venv} (once, ~20–40 s)...`);
  try {
    execFileSync('python3', ['-m', 'venv', venv], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch {
    rmSync(venv, { recursive: true, force: true });
    return null;
  }
  execFileSync(join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `moto[server]==${MOTO_VERSION}`], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(join(venv, '.idp-moto-version'), MOTO_VERSION);
  return join(venv, 'bin', 'moto_server');
}

function readMarker(venv: string): string | null {
  try {
    return readFileSync(join(venv, '.idp-moto-version'), 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * An age identity file at `path` (0600, in age-keygen's format), created once; returns its recipient (public key).
 * Two processes starting at once cannot each write a different key: the first link wins.
 */
export async function ensureAgeIdentity(path: string): Promise<string> {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    // Written aside, then linked into place: a process reading it never sees half a file.
    const aside = `${path}.${process.pid}.${Date.now()}`;
    writeFileSync(aside, `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`, { mode: 0o600, flag: 'wx' });
    try {
      linkSync(aside, path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(aside, { force: true });
    }
  }
  return ageRecipient(readFileSync(path, 'utf8'));
}

/** The recipient of the first identity in an age identity file's text (or of a bare AGE-SECRET-KEY-… string). */
export async function ageRecipient(identityText: string): Promise<string> {
  const identity = identityText.split('\n').map((l) => l.trim()).find((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (!identity) throw new Error('no AGE-SECRET-KEY- line');
  return identityToRecipient(identity);
}
