/**
 * idp create <template> [--set k=v …] [--values file.yaml] [--dry-run] [--wait]: runs a Scaffolder template as the
 * signed-in user. The values are checked against the template's own parameter schema before anything starts (the
 * Scaffolder's validator, jsonschema): missing required ones are asked for on a terminal, listed otherwise (exit 2,
 * no task). A template asking for a Component gets this folder's catalog entity (as `idp info` resolves it) unless
 * given. --dry-run runs the steps in the Scaffolder's dry-run mode (nothing written). The task's log is streamed
 * (reconnecting when the stream drops) and its output printed; the exit code is the task's outcome. --wait is idp's
 * --wait: the template's own `wait` parameter (idp's templates then follow the change until it is merged) — as
 * `idp env clone --wait` does. --no-follow starts the task and prints its id.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandInput } from '../command.js';
import { BackstageClient, parseRef, stringifyRef } from '../backstage.js';
import { resolveApi, resolveComponent, resolveUser } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { terminalSafe, type Ui } from '../output.js';
import {
  coerce,
  collectValues,
  componentParameter,
  missingRequired,
  problems,
  withDefaults,
  type ParameterStep,
  type TemplateParameter,
} from '../template-params.js';
import { clientFor, contextFlags, stringFlag } from './shared/common.js';
import { followAndReport, logLine, outputLines, taskUrl } from './shared/task.js';
import { IdpError } from '@idp/core/errors';

interface ParameterSchemaResponse {
  title: string;
  description?: string;
  steps: { title: string; schema: ParameterStep['schema'] }[];
}

/** --set given once is a string, several times an array. */
function listFlag(input: CommandInput, name: string): string[] {
  const raw = input.flags[name];
  if (raw === undefined) return [];
  const list = (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === 'string' ? v : ''));
  if (list.some((v) => v === '')) throw new UsageError(`--${name} needs a value, e.g. --${name} name=preview-7.`);
  return list;
}

async function valuesFile(file: string | undefined, cwd: string): Promise<Record<string, unknown>> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`--values ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(`--values ${file} is not valid YAML or JSON: ${(e as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UsageError(`--values ${file} must be a mapping of parameter names to values.`);
  return doc as Record<string, unknown>;
}

/** This folder's catalog entity (what `idp info` shows), or undefined with the reason. */
async function folderComponent(input: CommandInput): Promise<{ ref?: string; why: string }> {
  const { io } = input;
  const flags = contextFlags(input.flags);
  try {
    const [component, user] = await Promise.all([resolveComponent(flags, io.env, io.cwd), resolveUser(io.cwd, io.env)]);
    const { resolveInCatalog } = await import('../catalog.js');
    const resolved = await resolveInCatalog(clientFor({ api: resolveApi(flags, io.env), user }), component, io.cwd, io.env);
    if (resolved.status === 'matched' && resolved.entity) return { ref: resolved.entity.entityRef, why: resolved.entity.why };
    if (resolved.status === 'ambiguous') return { why: `several catalog entities match this folder (${resolved.candidates.map((c) => c.entityRef).join(', ')})` };
    return { why: 'this folder\'s repository is not in the catalog' };
  } catch (e) {
    return { why: (e as Error).message.split('\n')[0]! };
  }
}

const label = (p: TemplateParameter) => `${p.name}${p.title ? ` (${p.title})` : ''}`;

/** Asks for each missing required value on the terminal, typed and checked as --set values are. */
async function prompt(missing: TemplateParameter[], steps: ParameterStep[], values: Record<string, unknown>, ui: Ui): Promise<void> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    for (const p of missing) {
      const choices = p.enum ? ` [${p.enum.join('|')}]` : '';
      for (;;) {
        const answer = (await rl.question(`${ui.err.bold(label(p))}${choices}${p.description ? ui.err.dim(` ${p.description}`) : ''}: `)).trim();
        if (!answer) continue;
        try {
          const schema = steps.find((s) => s.schema.properties?.[p.name])?.schema.properties?.[p.name];
          values[p.name] = coerce(p.name, answer, schema);
          const bad = (await problems(steps, values)).filter((l) => l.startsWith(`${p.name} `) || l.startsWith(`${p.name}:`));
          if (!bad.length) break;
          ui.note(ui.err.red(bad.join('\n')));
        } catch (e) {
          ui.note(ui.err.red((e as Error).message));
        }
        delete values[p.name];
      }
    }
  } finally {
    rl.close();
  }
}

/**
 * The files a dry-run's fetch steps read relative to the template (`fetch:template` of `./skeleton`…), when the
 * template lives on this machine (a file: location, as in the embedded stack); only those paths, nothing else.
 */
function templateFiles(location: string | undefined, steps: { action?: string; input?: { url?: unknown } }[]): { path: string; base64Content: string }[] {
  if (!location?.startsWith('file:')) return [];
  const dir = path.dirname(location.startsWith('file://') ? fileURLToPath(location) : location.slice('file:'.length));
  const relative = steps
    .filter((s) => s.action?.startsWith('fetch:') && typeof s.input?.url === 'string' && !s.input.url.includes('://') && !s.input.url.includes('${{'))
    .map((s) => path.resolve(dir, s.input!.url as string))
    .filter((p) => p.startsWith(dir + path.sep));
  const files = new Set<string>();
  for (const p of relative) {
    try {
      if (statSync(p).isFile()) files.add(p);
      else for (const d of readdirSync(p, { recursive: true, withFileTypes: true })) if (d.isFile()) files.add(path.join(d.parentPath, d.name));
    } catch {
      // Not here: the dry-run's step says what it could not fetch.
    }
  }
  return [...files]
    .slice(0, 2000)
    .map((f) => ({ path: path.relative(dir, f).split(path.sep).join('/'), base64Content: readFileSync(f).toString('base64') }));
}

interface DryRunResponse {
  log: { body: { message?: string; stepId?: string; status?: string } }[];
  output: Record<string, unknown>;
  directoryContents: { path: string }[];
  steps: { id: string; name: string; action: string }[];
}

/** The Scaffolder's 400 `{ errors: [...] }` (its own validation) as one message. */
async function post<T>(client: BackstageClient, url: string, body: unknown): Promise<T> {
  const res = await client.fetch(url, { method: 'POST', body: JSON.stringify(body) });
  const parsed = (await res.json().catch(() => undefined)) as { errors?: { property?: string; message?: string; stack?: string }[] } | undefined;
  if (res.status === 400 && parsed?.errors) {
    const lines = parsed.errors.map((e) => `  ${e.stack ?? `${e.property}: ${e.message}`}`);
    throw new IdpError('invalid_request', 400, `The Scaffolder rejected the values:\n${lines.join('\n')}`);
  }
  if (!res.ok) throw client.error(res.status, parsed, url);
  return parsed as T;
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io, flags } = input;
  const ref = parseRef(input.args[0]!);
  if (ref.kind !== 'template') throw new UsageError(`${input.args[0]} is not a template (kind ${ref.kind}).`, 'Run `idp templates` for the templates.');
  const templateRef = stringifyRef(ref);
  const client = new BackstageClient(resolveApi(contextFlags(flags), io.env));

  // The template's own parameter schema: what the Create page shows, what the Scaffolder validates against.
  let schema: ParameterSchemaResponse;
  try {
    schema = await client.get<ParameterSchemaResponse>(`/api/scaffolder/v2/templates/${encodeURIComponent(ref.namespace)}/template/${encodeURIComponent(ref.name)}/parameter-schema`);
  } catch (e) {
    // Backstage's own NotFoundError: the catalog has no such template (or you may not see it).
    if (e instanceof IdpError && e.code === 'not_found' && (e.details as { name?: string } | undefined)?.name === 'NotFoundError') throw new IdpError('not_found', 404, `No template ${templateRef} in the catalog at ${client.baseUrl}. \`idp templates\` lists them; \`idp search <text>\` finds one.`);
    throw e;
  }
  const steps: ParameterStep[] = schema.steps.map((s) => ({ title: s.title, schema: s.schema }));
  const given = collectValues(steps, await valuesFile(stringFlag(flags, 'values'), io.cwd), listFlag(input, 'set'));
  // --wait: the template's `wait` (a boolean parameter: idp's templates end with idp:workflow:wait when it is set).
  if (flags.wait && given.wait === undefined && steps.some((s) => s.schema.properties?.wait?.type === 'boolean')) given.wait = true;
  const values = withDefaults(steps, given);

  const component = componentParameter(steps);
  let componentWhy: string | undefined;
  if (component && values[component] === undefined) {
    const found = await folderComponent(input);
    if (found.ref) {
      values[component] = found.ref;
      ui.note(ui.err.dim(`${component}: ${found.ref} (this folder: ${found.why})`));
    } else componentWhy = found.why;
  }

  let missing = missingRequired(steps, values);
  const interactive = !ui.json && Boolean(process.stdin.isTTY) && Boolean(io.stderr.isTTY) && io.stderr === process.stderr;
  if (missing.length && interactive) {
    await prompt(missing, steps, values, ui);
    missing = missingRequired(steps, values);
  }
  if (missing.length) {
    throw new UsageError(
      [
        `${templateRef} needs ${missing.length === 1 ? 'a value' : 'values'} for:`,
        ...missing.map((p) => `  ${label(p)}${p.name === component && componentWhy ? `: not taken from this folder, ${componentWhy}` : ''}`),
        `Pass ${missing.map((p) => `--set ${p.name}=…`).join(' ')} (or --values <file.yaml>). Nothing was started.`,
      ].join('\n'),
    );
  }
  const bad = await problems(steps, values);
  if (bad.length) {
    throw new UsageError([`The values do not fit ${templateRef}'s parameters:`, ...bad.map((l) => `  ${l}`), 'Nothing was started.'].join('\n'), `Run \`idp templates\` to see what it asks.`);
  }

  if (flags['dry-run']) {
    const entity = await client.get<{ metadata: { annotations?: Record<string, string> }; spec: { steps?: { action?: string; input?: { url?: unknown } }[] } }>(
      `/api/catalog/entities/by-name/template/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.name)}`,
    );
    const directoryContents = templateFiles(entity.metadata.annotations?.['backstage.io/managed-by-location'], entity.spec.steps ?? []);
    const result = await post<DryRunResponse>(client, '/api/scaffolder/v2/dry-run', { template: entity, values, secrets: {}, directoryContents });
    const files = result.directoryContents.map((f) => f.path).filter((p) => !directoryContents.some((d) => d.path === p));
    if (ui.json) return ui.printJson({ dryRun: true, template: templateRef, values, log: result.log.map((l) => l.body), output: result.output, files });
    for (const l of result.log) logLine(ui, l.body);
    if (files.length) ui.note(`Would write:\n${files.map((f) => `  ${terminalSafe(f)}`).join('\n')}`);
    for (const line of outputLines(result.output)) ui.print(line);
    ui.note(ui.err.dim('Dry run: the steps ran in dry-run mode; nothing was written and no task was created.'));
    return;
  }

  const { id } = await post<{ id: string }>(client, '/api/scaffolder/v2/tasks', { templateRef, values });
  const url = taskUrl(client, id);
  if (flags.follow === false) {
    if (ui.json) return ui.printJson({ taskId: id, url, status: 'open' });
    ui.print(id);
    ui.note(`Started ${templateRef} as task ${id}: ${url}`);
    ui.note(`Follow it with \`idp tasks logs ${id}\`.`);
    return;
  }
  ui.note(`Started ${templateRef} as task ${id}: ${url}`);
  ui.note(ui.err.dim('Ctrl-C stops following, not the task.'));
  await followAndReport(client, ui, id);
}
