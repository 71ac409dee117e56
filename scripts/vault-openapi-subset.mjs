#!/usr/bin/env node
/**
 * Extract the KV v2 part of Vault's published API description: every path under `/{kv_v2_mount_path}/` and every
 * schema those paths reference, copied verbatim (nothing reworded or dropped inside them).
 *
 *   node scripts/vault-openapi-subset.mjs [<openapi.json>] > providers/src/secrets/vault-kv2.openapi.json
 *
 * Without an argument the document is taken from the Go module github.com/hashicorp/vault-client-go@v0.4.3
 * (`go mod download -json …` → its Dir; the Go module proxy or the local module cache). HashiCorp generates that
 * openapi.json from Vault's own route definitions (`vault path-help` / sys/internal/specs/openapi) for the Go client.
 *
 * Exit 3 when the module cannot be had here (no `go`, or offline with an empty module cache): the regeneration test
 * skips then, saying so, instead of failing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MODULE = 'github.com/hashicorp/vault-client-go';
export const VERSION = 'v0.4.3';
const PREFIX = '/{kv_v2_mount_path}/';

function refsOf(node, into) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v.replace('#/components/schemas/', ''));
      else refsOf(v, into);
    }
  }
  return into;
}

/** The KV v2 subset of a full openapi.json, with where it came from. */
export function extract(spec, source) {
  const paths = Object.fromEntries(Object.keys(spec.paths).filter((p) => p.startsWith(PREFIX)).sort().map((p) => [p, spec.paths[p]]));
  if (Object.keys(paths).length === 0) throw new Error(`no path under ${PREFIX} in this openapi.json`);
  const schemas = {};
  const pending = [...refsOf(paths, new Set())];
  while (pending.length) {
    const name = pending.shift();
    if (name in schemas) continue;
    const schema = spec.components?.schemas?.[name];
    if (!schema) throw new Error(`schema ${name} is referenced but not in this openapi.json`);
    schemas[name] = schema;
    for (const r of refsOf(schema, new Set())) if (!(r in schemas)) pending.push(r);
  }
  return {
    'x-source': {
      ...source,
      note: `Only the paths under ${PREFIX} (Vault's KV v2 secrets engine) and the schemas they reference, verbatim. Paths are relative to /v1/.`,
      license: 'MPL-2.0, as vault-client-go (and the document\'s info.license) is licensed; this file is an unmodified extract of it.',
      regenerate: 'node scripts/vault-openapi-subset.mjs > providers/src/secrets/vault-kv2.openapi.json',
    },
    openapi: spec.openapi,
    info: spec.info,
    paths,
    components: { schemas: Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]])) },
  };
}

/** The module's directory and go.sum hash, or null when it cannot be had here. */
export function downloadModule() {
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', `${MODULE}@${VERSION}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const { Dir, Sum } = JSON.parse(out);
    return Dir ? { dir: Dir, sum: Sum } : null;
  } catch {
    return null;
  }
}

export function render(subset) {
  return JSON.stringify(subset, null, 1) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let file = process.argv[2];
  let source = { document: file };
  if (!file) {
    const mod = downloadModule();
    if (!mod) {
      process.stderr.write(`${MODULE}@${VERSION} is not available here (needs \`go\` and the Go module proxy or a warm module cache)\n`);
      process.exit(3);
    }
    file = join(mod.dir, 'openapi.json');
    source = { module: `${MODULE}@${VERSION}`, sum: mod.sum, path: 'openapi.json' };
  }
  process.stdout.write(render(extract(JSON.parse(readFileSync(file, 'utf8')), source)));
}
