/**
 * idp templates: the catalog's Template entities (the platform team's golden paths), read through Backstage's catalog
 * API as the signed-in user, in one request: name, title, owner, tags and what each asks (required ones marked).
 */
import type { CommandInput } from '../command.js';
import { BackstageClient } from '../backstage.js';
import { resolveApi } from '../context.js';
import { table, terminalSafe, truncate } from '../output.js';
import { parametersOf, stepsOf, type TemplateParameter } from '../template-params.js';
import { contextFlags } from './shared/common.js';

/** `idp templates --json` prints `{ templates: TemplateSummary[] }` (documented in cli/README.md). */
export interface TemplateSummary {
  ref: string;
  name: string;
  title: string;
  description?: string;
  owner?: string;
  type?: string;
  tags: string[];
  parameters: TemplateParameter[];
  /** The template's page in Backstage. */
  url: string;
}

interface TemplateEntity {
  metadata: { name: string; namespace?: string; title?: string; description?: string; tags?: string[] };
  spec?: { owner?: string; type?: string; parameters?: unknown };
}

const FIELDS = ['metadata.name', 'metadata.namespace', 'metadata.title', 'metadata.description', 'metadata.tags', 'spec.owner', 'spec.type', 'spec.parameters'];

export async function listTemplates(client: BackstageClient): Promise<TemplateSummary[]> {
  const out: TemplateSummary[] = [];
  let cursor: string | undefined;
  // One request, unless a catalog holds more templates than a page (then the next pages, by cursor).
  do {
    const query = cursor ? `cursor=${encodeURIComponent(cursor)}` : `filter=kind=template&fields=${FIELDS.join(',')}&orderField=metadata.name,asc&limit=1000`;
    const page = await client.get<{ items: TemplateEntity[]; pageInfo?: { nextCursor?: string } }>(`/api/catalog/entities/by-query?${query}`);
    for (const e of page.items) {
      const namespace = e.metadata.namespace ?? 'default';
      out.push({
        ref: `template:${namespace}/${e.metadata.name}`,
        name: e.metadata.name,
        title: e.metadata.title ?? e.metadata.name,
        ...(e.metadata.description ? { description: e.metadata.description } : {}),
        ...(e.spec?.owner ? { owner: e.spec.owner } : {}),
        ...(e.spec?.type ? { type: e.spec.type } : {}),
        tags: e.metadata.tags ?? [],
        parameters: parametersOf(stepsOf(e.spec?.parameters)),
        url: `${client.baseUrl}/create/templates/${encodeURIComponent(namespace)}/${encodeURIComponent(e.metadata.name)}`,
      });
    }
    cursor = page.pageInfo?.nextCursor;
  } while (cursor);
  return out;
}

/** "name*, source*, ttl": what a template asks, required ones starred. */
export const asks = (params: TemplateParameter[]) => params.map((p) => `${p.name}${p.required ? '*' : ''}`).join(', ') || '-';

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const client = new BackstageClient(resolveApi(contextFlags(input.flags), io.env));
  const templates = await listTemplates(client);
  if (ui.json) return ui.printJson({ templates });
  if (templates.length === 0) {
    ui.note(`The catalog at ${client.baseUrl} has no templates (kind: Template). A platform team adds them under catalog.locations.`);
    return;
  }
  const safe = terminalSafe(templates);
  const rows = safe.map((t) => [t.name, truncate(t.title, 40), t.owner ?? '-', t.tags.join(',') || '-', asks(t.parameters)]);
  io.stdout.write(table(['NAME', 'TITLE', 'OWNER', 'TAGS', 'ASKS (* required)'], rows, ui.out));
  ui.note(`Run one with \`idp create <name> --set key=value …\`; \`idp search <text>\` finds templates by what they do.`);
}
