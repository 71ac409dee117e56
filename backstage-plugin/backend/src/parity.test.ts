/**
 * CLI/UI parity: every Platform API route is used by the CLI or by the Backstage UI (or is exempt, below, with why),
 * and README's "Every action, both faces" table has a row for it. Fails when a route is added that neither face
 * calls, or that the README does not list.
 *
 * The table is checked against the code too: a face it names must really call the route (a CLI command → a use in
 * cli/src, a UI place → a use in the plugin), and a face it marks "—" (with the reason after it) must not.
 *
 * The routes are the ones the Platform API router really registers (express's router stack of createRouter) plus the
 * ones its OpenAPI document lists that a host adds (POST /context/resolve, the Backstage plugin's); the two are
 * checked to agree. Each route maps to the PlatformClient methods that call it, found by calling every method with a
 * recording fetch. A use is `.<method>(` in the CLI's sources (cli/src, not tests) or the frontend plugin's
 * (backstage-plugin/idp/src, not tests).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRouter, type RouterOptions } from '@idp/api';
import { openApiDocument } from '@idp/core';
import { PlatformClient } from '@idp/core/client';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Routes a face deliberately lacks, with why. Keep it short: everything else needs a use. */
const EXEMPT: Record<string, string> = {
  'GET /openapi.json': 'the API\'s description, for tools and API clients; neither face reads it (no client method)',
};
/** Routes the OpenAPI document lists that a host adds to the router (createRouter's `routes` option). */
const HOST_ROUTES: Record<string, string> = {
  'POST /context/resolve': 'the Backstage plugin adds it (idp-backend/src/context/route.ts); a standalone server has no catalog',
};

/** "GET /pulls/:number" for every route createRouter registers. */
function routerRoutes(): string[] {
  const unused = () => {
    throw new Error('not called: the routes are only listed');
  };
  const router = createRouter({
    temporal: {} as RouterOptions['temporal'],
    taskQueue: 'idp',
    providers: unused as unknown as RouterOptions['providers'],
    pollIntervalMs: 1000,
    version: '0',
    temporalAddress: '127.0.0.1:0',
    namespace: 'default',
    identity: { actorOf: unused },
  });
  type Layer = { route?: { path: string | string[]; methods: Record<string, boolean> } };
  return (router.stack as Layer[]).flatMap((l) =>
    l.route ? Object.keys(l.route.methods).flatMap((m) => [l.route!.path].flat().map((p) => `${m.toUpperCase()} ${p}`)) : [],
  );
}

/** The OpenAPI document's operations, with `{param}` written `:param` as express does. */
function openApiRoutes(): string[] {
  const doc = openApiDocument('0') as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`));
}

/** route → the PlatformClient methods that request it: each method called once, its request recorded. */
async function clientMethodsByRoute(routes: string[]): Promise<Map<string, string[]>> {
  const byRoute = new Map<string, string[]>(routes.map((r) => [r, []]));
  const patterns = routes.map((r) => {
    const [method, p] = r.split(' ') as [string, string];
    return { r, method, re: new RegExp(`^/api/idp${p.replace(/:\w+/g, '[^/]+').replace(/\./g, '\\.')}$`) };
  });
  const names = Object.getOwnPropertyNames(PlatformClient.prototype).filter((n) => n !== 'constructor' && n !== 'call');
  for (const name of names) {
    const seen: { method: string; pathname: string }[] = [];
    const client = new PlatformClient({
      baseUrl: 'http://api.test/api/idp',
      fetch: (async (url: string | URL, init?: RequestInit) => {
        seen.push({ method: init?.method ?? 'GET', pathname: new URL(url).pathname });
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      }) as typeof fetch,
    });
    // 7 passes as a name, a number and an (empty) request object alike: only the path matters here.
    const fn = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    if (typeof fn !== 'function') continue;
    // A method that needs real arguments to get as far as a request maps to nothing (and the test says so).
    // A streaming method (an async generator) sends its request when first iterated.
    await (async () => {
      const r = fn.call(client, 7, 7, 7, 7);
      if (r && typeof r === 'object' && Symbol.asyncIterator in r) await (r as unknown as AsyncIterator<unknown>).next();
      else await r;
    })().catch(() => undefined);
    for (const s of seen) {
      const hit = patterns.find((p) => p.method === s.method && p.re.test(s.pathname));
      if (hit) byRoute.get(hit.r)!.push(name);
    }
  }
  return byRoute;
}

/** Source files under dir (recursively), tests and test helpers left out. */
function sources(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) {
      if (name !== 'testing' && name !== 'node_modules' && name !== '__tests__') out.push(...sources(file));
    } else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$|setupTests\.ts$/.test(name)) {
      out.push({ file: path.relative(root, file), text: readFileSync(file, 'utf8') });
    }
  }
  return out;
}

const usesOf = (files: { file: string; text: string }[], methods: string[]) =>
  files.filter((f) => methods.some((m) => new RegExp(`\\.${m}\\(`).test(f.text))).map((f) => f.file);

/** README's "Every action, both faces" section. */
function parityTable(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('Every action, both faces');
  assert.ok(start >= 0, 'README.md has a section "Every action, both faces"');
  const rest = readme.slice(start);
  const end = rest.slice(1).search(/\n#{1,3} /);
  return end < 0 ? rest : rest.slice(0, end + 1);
}

describe('parity: every Platform API route has a CLI or UI use', async () => {
  const fromRouter = routerRoutes();
  const fromOpenApi = openApiRoutes();
  // Compared without parameter names (the router's `:id` is OpenAPI's `{workflowId}`); listed with the router's.
  const shape = (r: string) => r.replace(/:\w+/g, ':');
  const routes = [...fromRouter, ...fromOpenApi.filter((r) => HOST_ROUTES[r])].sort();

  it('the router and the OpenAPI document list the same routes (but the host-added ones)', () => {
    const documented = new Set(fromOpenApi.map(shape));
    const served = new Set(fromRouter.map(shape));
    assert.deepEqual(fromRouter.filter((r) => !documented.has(shape(r))), [], 'routes the router serves that OpenAPI does not describe');
    assert.deepEqual(fromOpenApi.filter((r) => !served.has(shape(r)) && !HOST_ROUTES[r]), [], 'OpenAPI routes the router does not serve');
  });

  it('each route is called by a PlatformClient method (or exempt)', async () => {
    const byRoute = await clientMethodsByRoute(routes);
    const orphans = routes.filter((r) => !byRoute.get(r)!.length && !EXEMPT[r]);
    assert.deepEqual(orphans, [], 'routes no PlatformClient method calls: add one to core/src/api/client.ts');
  });

  it('each route is used by the CLI or by the UI (or exempt)', async () => {
    const byRoute = await clientMethodsByRoute(routes);
    const cli = sources(path.join(root, 'cli/src'));
    const ui = sources(path.join(root, 'backstage-plugin/idp/src'));
    assert.ok(cli.length > 10 && ui.length > 3, 'found the sources');
    const unused = routes.filter((r) => !EXEMPT[r] && !usesOf(cli, byRoute.get(r)!).length && !usesOf(ui, byRoute.get(r)!).length);
    assert.deepEqual(
      unused.map((r) => `${r} (${byRoute.get(r)!.join(', ')})`),
      [],
      'Platform API routes neither the CLI nor the UI uses: give one of them a use (and a row in README\'s parity table), or exempt the route here with why',
    );
  });

  it('README\'s table tells the truth: a face it names uses the route, a face it marks "—" (with why) does not', async () => {
    const byRoute = await clientMethodsByRoute(routes);
    const faces = { cli: sources(path.join(root, 'cli/src')), ui: sources(path.join(root, 'backstage-plugin/idp/src')) };
    const wrong: string[] = [];
    for (const line of parityTable().split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const route = /^`([A-Z]+ \/[^`]*)`$/.exec(cells[1] ?? '')?.[1];
      if (!route || !routes.includes(route)) continue;
      for (const [face, cell] of [['cli', cells[2] ?? ''], ['ui', cells[3] ?? '']] as const) {
        const used = usesOf(faces[face], byRoute.get(route)!);
        const lacks = cell.startsWith('—');
        if (!lacks && !used.length) wrong.push(`${route}: the table names a ${face.toUpperCase()} use (${cell}), but no ${face === 'cli' ? 'cli/src' : 'backstage-plugin/idp/src'} file calls ${byRoute.get(route)!.join('/') || 'it'}`);
        if (lacks && used.length) wrong.push(`${route}: the table says the ${face.toUpperCase()} lacks it, but ${used.join(', ')} call it`);
        if (lacks && face === 'ui' && !EXEMPT[route] && cell.replace(/^—\s*/, '').length < 10) wrong.push(`${route}: say why the UI lacks it`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('README\'s "Every action, both faces" table has a row for every route', () => {
    const table = parityTable();
    const missing = routes.filter((r) => !table.includes(`\`${r}\``));
    assert.deepEqual(missing, [], 'routes without a row (write them as `METHOD /path/:param`)');
  });
});
