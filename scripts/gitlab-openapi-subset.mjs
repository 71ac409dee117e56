#!/usr/bin/env node
/**
 * Extract the part of GitLab's published REST description that the GitLab fake
 * serves: the operations listed below and every definition they reference.
 *
 *   node scripts/gitlab-openapi-subset.mjs <openapi_v2.yaml> <commit> > providers/src/testing/gitlab-openapi-v2.subset.json
 *
 * Operations the fake serves that openapi_v2.yaml does not describe (notes,
 * users) come from scripts/gitlab-openapi-v3-supplement.yaml, merged in and
 * marked `x-from: openapi_v3.yaml` (see the header of that file).
 *
 * <openapi_v2.yaml> is `doc/api/openapi/openapi_v2.yaml` from gitlabhq/gitlabhq
 * (GitLab generates it from its Grape API code: `bin/rake gitlab:openapi:v2:generate`);
 * <commit> is the gitlabhq commit it was taken from, recorded in the output.
 *
 * Prose (descriptions, summaries, tags) is dropped; so are examples, except on
 * string-typed schemas in definitions: there an example is how the validator
 * tells a documented string exposure from the generator's untyped default
 * (see UNTYPED_EXPOSURE in providers/src/testing/gitlab-openapi.ts). A listed
 * operation or a referenced definition that is missing fails the extraction.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** Method + path template of every operation the fake serves (or is about to: approvals, reviewers, members, statuses). */
export const OPERATIONS = [
  ['get', '/api/v4/projects/{id}'],
  ['get', '/api/v4/projects/{id}/repository/branches/{branch}'],
  ['delete', '/api/v4/projects/{id}/repository/branches/{branch}'],
  ['get', '/api/v4/projects/{id}/repository/files/{file_path}'],
  ['get', '/api/v4/projects/{id}/repository/tree'],
  ['post', '/api/v4/projects/{id}/repository/commits'],
  ['get', '/api/v4/projects/{id}/repository/commits/{sha}'],
  ['get', '/api/v4/projects/{id}/repository/commits/{sha}/diff'],
  ['get', '/api/v4/projects/{id}/repository/commits/{sha}/statuses'],
  ['post', '/api/v4/projects/{id}/statuses/{sha}'],
  ['get', '/api/v4/projects/{id}/merge_requests'],
  ['post', '/api/v4/projects/{id}/merge_requests'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}'],
  ['put', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}'],
  ['put', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/merge'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/diffs'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/versions'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/reviewers'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/approvals'],
  ['post', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/approve'],
  ['post', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/unapprove'],
  ['get', '/api/v4/projects/{id}/merge_requests/{merge_request_iid}/approval_state'],
  ['get', '/api/v4/projects/{id}/members/all'],
  ['get', '/api/v4/projects/{id}/members/all/{user_id}'],
  ['get', '/api/v4/groups/{id}/members/all'],
];

const PROSE = new Set(['description', 'summary', 'tags', 'produces', 'consumes', 'deprecated']);

function clean(node, inDefinitions) {
  if (Array.isArray(node)) return node.map((n) => clean(n, inDefinitions));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // Prose is a string (or, for tags/produces/consumes, a list of strings); a property named `description` is a schema and stays.
    if (PROSE.has(k) && (typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x === 'string')))) continue;
    if ((k === 'example' || k === 'examples') && !(inDefinitions && node.type === 'string' && k === 'example')) continue;
    out[k] = clean(v, inDefinitions);
  }
  return out;
}

function refsOf(node, into) {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, into));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v.replace('#/definitions/', ''));
      else refsOf(v, into);
    }
  }
  return into;
}

/** Operations taken from the supplement (GitLab's openapi_v3.yaml) because openapi_v2.yaml lacks them. */
export const SUPPLEMENTED = [
  ['get', '/api/v4/projects/{id}/merge_requests/{noteable_id}/notes'],
  ['post', '/api/v4/projects/{id}/merge_requests/{noteable_id}/notes'],
  ['get', '/api/v4/user'],
  ['get', '/api/v4/users'],
];

export function extract(spec, supplement) {
  const paths = {};
  for (const [method, template] of SUPPLEMENTED) {
    if (spec.paths?.[template]?.[method]) throw new Error(`${method.toUpperCase()} ${template} is now in openapi_v2.yaml: drop it from the supplement`);
    const op = supplement.paths?.[template]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in the supplement`);
    (paths[template] ??= {})[method] = { ...clean(op, false), 'x-from': 'openapi_v3.yaml (see scripts/gitlab-openapi-v3-supplement.yaml)' };
  }
  for (const [method, template] of OPERATIONS) {
    const op = spec.paths?.[template]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in this openapi_v2.yaml`);
    (paths[template] ??= {})[method] = clean(op, false);
  }
  const definitions = {};
  const pending = [...refsOf(paths, new Set())];
  while (pending.length) {
    const name = pending.shift();
    if (name in definitions) continue;
    const def = spec.definitions?.[name] ?? supplement.definitions?.[name];
    if (!def) throw new Error(`definition ${name} is referenced but not in this openapi_v2.yaml`);
    definitions[name] = clean(def, true);
    for (const r of refsOf(def, new Set())) if (!(r in definitions)) pending.push(r);
  }
  const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
  return { paths, definitions: sorted };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, commit] = process.argv.slice(2);
  if (!file || !commit) {
    process.stderr.write('usage: node scripts/gitlab-openapi-subset.mjs <openapi_v2.yaml> <gitlabhq commit>\n');
    process.exit(2);
  }
  const spec = parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 });
  const supplement = parse(readFileSync(new URL('./gitlab-openapi-v3-supplement.yaml', import.meta.url), 'utf8'));
  const { paths, definitions } = extract(spec, supplement);
  const out = {
    'x-source': {
      repository: 'https://gitlab.com/gitlab-org/gitlab (mirror: github.com/gitlabhq/gitlabhq)',
      path: 'doc/api/openapi/openapi_v2.yaml',
      commit,
      generated_by: 'bin/rake gitlab:openapi:v2:generate (GitLab); subset: node scripts/gitlab-openapi-subset.mjs <openapi_v2.yaml> <commit>',
      note: 'Only the operations the GitLab fake serves and the definitions they reference; prose and most examples dropped.',
      license: 'CC BY-SA 4.0, as GitLab licenses its documentation (doc/) and its OpenAPI documents; this file is an adaptation of them, under the same license.',
    },
    swagger: spec.swagger,
    info: { title: spec.info?.title, version: spec.info?.version },
    paths,
    definitions,
  };
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
}
