/**
 * Secret values for the processes the local runtime starts — the one place idp reads a value back. It lives here, in
 * the runtime, and nowhere the Platform API reaches: the SecretStore interface (providers/src/secrets/store.ts)
 * deliberately has no read, so credentials granted to the API can leave read access out.
 *
 * The embedded default's store is SOPS + age in a git repository (providers/src/secrets/sops.ts): a reference
 * `sops://<file>#<KEY>` pinned at a commit of that repository. The file at that commit (the branch's head when nothing
 * is pinned) goes to `sops decrypt` on stdin, the decrypted document comes back on stdout — never a plaintext file,
 * never argv — and the key's value is taken from it in memory. Only the store's age identity and an empty HOME are in
 * sops's environment. References of other stores (Vault, AWS Secrets Manager, unmanaged schemes) are not resolved by
 * the local runtime: the environment shows as crashed, saying which key and reference (never a value).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { storeForRef, type EffectiveSecret, type SecretsConfig, type SopsStoreConfig } from '@idp/core';
import { findSops, SOPS_MISSING } from '@idp/providers/secrets';

const run = promisify(execFile);

/** Why a secret cannot be resolved: says which key and reference, never a value. */
export class UnresolvableSecret extends Error {
  constructor(readonly key: string, readonly ref: string, why: string) {
    super(`secret ${key} (${ref}) cannot be resolved: ${why}`);
    this.name = 'UnresolvableSecret';
  }
}

export interface SecretResolver {
  /** key → value for each secret, or UnresolvableSecret for the first that cannot be read. */
  resolve(secrets: EffectiveSecret[]): Promise<Record<string, string>>;
}

const SOPS_REF = /^sops:\/\/([^#]+)#([A-Za-z_][A-Za-z0-9_]*)$/;

export function createSecretResolver(config: SecretsConfig | undefined, env: NodeJS.ProcessEnv = process.env): SecretResolver {
  return {
    async resolve(secrets) {
      const values: Record<string, string> = {};
      // One decryption per (store, file, version), however many keys it holds.
      const documents = new Map<string, Promise<Record<string, unknown>>>();
      for (const s of secrets) {
        const storeName = config ? storeForRef(config, s.ref) : undefined;
        const store = storeName ? config!.stores[storeName] : undefined;
        if (!store) {
          throw new UnresolvableSecret(s.key, s.ref, config ? 'no configured secret store serves this reference' : 'no secret stores are configured (IDP_SECRETS_CONFIG)');
        }
        if (store.type !== 'sops') {
          throw new UnresolvableSecret(s.key, s.ref, `the local runtime reads only SOPS stores, and store "${storeName}" is ${store.type}`);
        }
        const m = SOPS_REF.exec(s.ref);
        if (!m || m[1]!.split('/').includes('..')) throw new UnresolvableSecret(s.key, s.ref, 'not a reference of the form sops://<file>#<KEY>');
        const [, file, key] = m as unknown as [string, string, string];
        const id = `${storeName}\0${file}\0${s.version ?? ''}`;
        if (!documents.has(id)) documents.set(id, decryptFile(storeName!, store, file, s.version, env));
        let doc: Record<string, unknown>;
        try {
          doc = await documents.get(id)!;
        } catch (e) {
          throw new UnresolvableSecret(s.key, s.ref, (e as Error).message);
        }
        const value = doc[key];
        if (typeof value !== 'string') throw new UnresolvableSecret(s.key, s.ref, `${file}${s.version ? ` at version ${s.version}` : ''} has no key ${key}`);
        values[s.key] = value;
      }
      return values;
    },
  };
}

/** The whole decrypted document of `file` at `version` (the branch head when none), as JSON. */
async function decryptFile(storeName: string, store: SopsStoreConfig, file: string, version: string | undefined, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const repo = resolve(store.repo.startsWith('file://') ? fileURLToPath(store.repo) : store.repo);
  const gitEnv = { PATH: env.PATH ?? '', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LANG: 'C' };
  const rev = version ?? 'HEAD';
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$|^HEAD$/.test(rev)) throw new Error(`version ${version} is not a commit of the store's repository`);
  let encrypted: Buffer;
  try {
    encrypted = (await run('git', ['--git-dir', repo, 'show', `${rev}:${file}`], { env: gitEnv, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch {
    throw new Error(`store "${storeName}" (${repo}) has no ${file}${version ? ` at version ${version}` : ''}`);
  }
  const sops = findSops({ env });
  if (!sops) throw new Error(SOPS_MISSING);
  // sops runs with the store's age identity only, in an empty HOME, from a folder no .sops.yaml applies to.
  const home = mkdtempSync(join(tmpdir(), 'idp-runtime-sops-'));
  try {
    const keyEnv = store.ageKeyFile
      ? { SOPS_AGE_KEY_FILE: isAbsolute(store.ageKeyFile) ? store.ageKeyFile : resolve(store.ageKeyFile) }
      : { SOPS_AGE_KEY: env[store.ageKeyEnv!] ?? '' };
    if ('SOPS_AGE_KEY' in keyEnv && !keyEnv.SOPS_AGE_KEY) throw new Error(`${store.ageKeyEnv} (ageKeyEnv of store "${storeName}") is not set`);
    const out = await new Promise<Buffer>((done, fail) => {
      const child = spawn(sops, ['decrypt', '--input-type', 'yaml', '--output-type', 'json'], { cwd: home, env: { PATH: env.PATH ?? '', HOME: home, ...keyEnv }, stdio: ['pipe', 'pipe', 'ignore'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.once('error', fail);
      // sops's own messages are not promised to leave values out: only its exit code is reported.
      child.once('close', (code) => (code === 0 ? done(Buffer.concat(chunks)) : fail(new Error(code === 128 ? `the age identity of store "${storeName}" cannot decrypt ${file}` : `sops could not decrypt ${file} (exit ${code})`))));
      child.stdin.on('error', () => {});
      child.stdin.end(encrypted);
    });
    return JSON.parse(out.toString('utf8')) as Record<string, unknown>;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
