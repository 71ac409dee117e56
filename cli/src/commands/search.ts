/**
 * idp search <text> [--kind template|component]: Backstage's search (the catalog collator's index), ranked by the
 * engine's score, each result with the fields that matched and the matching words marked (`**preview**`).
 *
 * While the index is not built yet (the first seconds of a fresh Backstage: the engine answers MissingIndexError),
 * the catalog's own full-text filter answers instead, over name, title and description, ranked here (name or title
 * before description); the output says so. No result is not an error (exit 0, a hint on stderr), as with `gh search`.
 */
import type { CommandInput } from '../command.js';
import { BackstageClient } from '../backstage.js';
import { resolveApi } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { table, terminalSafe, truncate } from '../output.js';
import { contextFlags, stringFlag } from './shared/common.js';

const KINDS: Record<string, string> = { template: 'Template', component: 'Component' };

/** `idp search --json` prints this (documented in cli/README.md). */
export interface SearchOutput {
  query: string;
  kind?: string;
  /** `search`: Backstage's search index; `catalog`: the catalog's full-text filter (the index is not built yet). */
  source: 'search' | 'catalog';
  note?: string;
  results: SearchHit[];
}

export interface SearchHit {
  rank: number;
  kind: string;
  ref: string;
  name: string;
  title: string;
  description?: string;
  owner?: string;
  url: string;
  /** Why it matched: each field with the words found marked **like this**. */
  matched: { field: string; text: string }[];
}

interface SearchResult {
  type: string;
  rank?: number;
  document: { title?: string; text?: string; kind?: string; namespace?: string; owner?: string; location?: string };
  highlight?: { preTag: string; postTag: string; fields: Record<string, string> };
}

/** The collator's document fields as the entity's: title, text = description, location holds the name. */
const FIELD_NAMES: Record<string, string> = { title: 'title', text: 'description', location: 'name', owner: 'owner' };

function fromIndex(r: SearchResult, rank: number, baseUrl: string): SearchHit {
  const d = r.document;
  // location is /catalog/<namespace>/<kind>/<name> (lower-cased by the collator); the name is its last segment.
  const name = decodeURIComponent(d.location?.split('/').pop() ?? d.title ?? '');
  const kind = d.kind ?? 'Entity';
  const h = r.highlight;
  const mark = (s: string) => (h ? s.split(h.preTag).join('**').split(h.postTag).join('**') : s);
  const matched = Object.entries(h?.fields ?? {})
    .filter(([field]) => FIELD_NAMES[field])
    .map(([field, text]) => ({ field: FIELD_NAMES[field]!, text: field === 'location' ? mark(text).split('/').pop()! : mark(text) }));
  return {
    rank,
    kind,
    ref: `${kind.toLowerCase()}:${d.namespace ?? 'default'}/${name}`,
    name,
    title: d.title ?? name,
    ...(d.text ? { description: d.text } : {}),
    ...(d.owner ? { owner: d.owner } : {}),
    url: `${baseUrl}${d.location ?? ''}`,
    matched,
  };
}

interface CatalogEntity {
  kind: string;
  metadata: { name: string; namespace?: string; title?: string; description?: string };
  spec?: { owner?: string };
}

/** `text` in `s`, case-insensitively, marked **like this**; undefined when absent. */
function markIn(s: string | undefined, text: string): string | undefined {
  if (!s) return undefined;
  const i = s.toLowerCase().indexOf(text.toLowerCase());
  return i < 0 ? undefined : `${s.slice(0, i)}**${s.slice(i, i + text.length)}**${s.slice(i + text.length)}`;
}

async function fromCatalog(client: BackstageClient, text: string, kind: string | undefined, limit: number): Promise<SearchHit[]> {
  const kinds = kind ? [kind] : Object.values(KINDS);
  const query = [
    ...kinds.map((k) => `filter=kind=${k.toLowerCase()}`),
    `fullTextFilterTerm=${encodeURIComponent(text)}`,
    'fullTextFilterFields=metadata.name,metadata.title,metadata.description',
    'fields=kind,metadata.name,metadata.namespace,metadata.title,metadata.description,spec.owner',
    `limit=${limit}`,
  ].join('&');
  const { items } = await client.get<{ items: CatalogEntity[] }>(`/api/catalog/entities/by-query?${query}`);
  const hits = items.map((e) => {
    const namespace = e.metadata.namespace ?? 'default';
    const matched = (
      [
        ['name', markIn(e.metadata.name, text)],
        ['title', markIn(e.metadata.title, text)],
        ['description', markIn(e.metadata.description, text)],
      ] as const
    ).flatMap(([field, t]) => (t ? [{ field, text: t }] : []));
    return {
      rank: 0,
      kind: e.kind,
      ref: `${e.kind.toLowerCase()}:${namespace}/${e.metadata.name}`,
      name: e.metadata.name,
      title: e.metadata.title ?? e.metadata.name,
      ...(e.metadata.description ? { description: e.metadata.description } : {}),
      ...(e.spec?.owner ? { owner: e.spec.owner } : {}),
      url: `${client.baseUrl}/catalog/${namespace}/${e.kind.toLowerCase()}/${e.metadata.name}`,
      matched,
    };
  });
  // The catalog does not rank: a match in the name or title before one only in the description, then by name.
  const weight = (h: SearchHit) => (h.matched.some((m) => m.field !== 'description') ? 0 : 1);
  hits.sort((a, b) => weight(a) - weight(b) || a.name.localeCompare(b.name));
  return hits.map((h, i) => ({ ...h, rank: i + 1 }));
}

export async function search(client: BackstageClient, text: string, kind: string | undefined, limit = 25): Promise<SearchOutput> {
  const params = new URLSearchParams({ term: text, 'types[0]': 'software-catalog', pageLimit: String(limit) });
  if (kind) params.set('filters[kind]', kind);
  const res = await client.fetch(`/api/search/query?${params}`);
  const body = (await res.json().catch(() => undefined)) as { results?: SearchResult[]; error?: { name?: string } } | undefined;
  if (res.ok && body?.results) {
    // With a kind filter, Lunr returns every entity of that kind (the filter is the one required clause): keep those
    // that matched the text somewhere else too.
    const results = kind ? body.results.filter((r) => Object.keys(r.highlight?.fields ?? {}).some((f) => f !== 'kind')) : body.results;
    return { query: text, ...(kind ? { kind } : {}), source: 'search', results: results.map((r, i) => fromIndex(r, i + 1, client.baseUrl)) };
  }
  if (body?.error?.name === 'MissingIndexError') {
    return {
      query: text,
      ...(kind ? { kind } : {}),
      source: 'catalog',
      note: "Backstage's search index is not built yet (it is, seconds after Backstage starts): these results come from the catalog's full-text filter on name, title and description.",
      results: await fromCatalog(client, text, kind, limit),
    };
  }
  throw client.error(res.status, body, '/api/search/query');
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const text = input.args.join(' ').trim();
  if (!text) throw new UsageError('Nothing to search for.', 'Run `idp search --help` for usage.');
  const kindFlag = stringFlag(input.flags, 'kind');
  const kind = kindFlag === undefined ? undefined : KINDS[kindFlag.toLowerCase()];
  if (kindFlag !== undefined && !kind) throw new UsageError(`--kind ${kindFlag}: expected template or component.`);
  const client = new BackstageClient(resolveApi(contextFlags(input.flags), io.env));
  const result = await search(client, text, kind);
  if (ui.json) return ui.printJson(result);
  if (result.note) ui.note(ui.err.yellow(result.note));
  if (result.results.length === 0) {
    ui.note(`Nothing matches "${text}"${kind ? ` among ${kind.toLowerCase()}s` : ''}. Try another word, or \`idp templates\` for every template.`);
    return;
  }
  const c = ui.out;
  const bold = (s: string) => (c.enabled ? s.replace(/\*\*(.+?)\*\*/g, (_, w: string) => c.bold(c.yellow(w))) : s);
  const safe = terminalSafe(result.results);
  const rows = safe.map((h) => [String(h.rank), h.kind, h.name, truncate(h.title, 40), bold(h.matched.map((m) => `${m.field}: ${truncate(m.text, 70)}`).join('; ') || '-')]);
  io.stdout.write(table(['#', 'KIND', 'NAME', 'TITLE', 'MATCHED'], rows, c));
  if (safe.some((h) => h.kind === 'Template')) ui.note('Run a template with `idp create <name>`.');
}
