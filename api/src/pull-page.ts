/**
 * The local forge's PR page: what a developer sees after clicking the URL that
 * `idp env clone` printed. Read-only (acting needs an identity: the CLI's
 * `idp pr review` / `idp pr merge`, which the page names). Everything shown is
 * escaped or rendered from Markdown with raw HTML off; there is no script.
 */
import MarkdownIt from 'markdown-it';
import type { FileDiff, PullRequest } from '@idp/core';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// PR bodies, reviews and comments are attacker-controlled. `html: false` escapes any
// raw HTML in them as text, and markdown-it's default validateLink refuses
// javascript:, vbscript:, file: and non-image data: URLs (the link stays as text).
const md = new MarkdownIt({ html: false, linkify: false });

/** Markdown as HTML, without the hidden `<!-- idp workflow: … -->` marker (a forge hides HTML comments; raw-HTML-off would show them). */
const markdown = (text: string) => md.render(text.replace(/<!--[\s\S]*?-->/g, '').trim());

/** What happened to the PR, as its header says it: who wants to merge, merged, or closed it. */
function stateLine(pr: PullRequest): string {
  const branches = `<code>${esc(pr.head)}</code> into <code>${esc(pr.base)}</code>`;
  if (pr.state === 'merged') {
    return `<b>${esc(pr.mergedBy ?? pr.author)}</b> merged ${branches}${pr.mergeSha ? ` as ${esc(pr.mergeSha.slice(0, 7))}` : ''}`;
  }
  if (pr.state === 'closed') return `<b>${esc(pr.closedBy ?? pr.author)}</b> closed this without merging ${branches}`;
  return `<b>${esc(pr.author)}</b> wants to merge ${branches} · head ${esc(pr.headSha.slice(0, 7))}`;
}

function patchHtml(patch: string): string {
  return patch
    .trimEnd()
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+++') || line.startsWith('---') ? 'h' : line.startsWith('@@') ? 'at' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
      // One block per line: the blocks make the lines, so no newline between them.
      return `<span class="${cls}">${esc(line) || ' '}</span>`;
    })
    .join('');
}

export function renderPullPage(pr: PullRequest, files: FileDiff[]): string {
  const reviews = pr.reviews.map((r) => `<li><b>${esc(r.by)}</b> ${esc(r.state.replace('_', ' '))} at ${esc(r.commitSha.slice(0, 7))}${r.body ? `:<div class="md">${markdown(r.body)}</div>` : ''}</li>`).join('');
  const comments = pr.comments.map((c) => `<li><b>${esc(c.by)}</b>:<div class="md">${markdown(c.body)}</div></li>`).join('');
  const body = markdown(pr.body);
  const next =
    pr.state === 'open'
      ? `<p class="next">Review and merge from the component's folder: <code>idp pr review ${pr.number} --approve</code> then <code>idp pr merge ${pr.number}</code> (or <code>idp pr close ${pr.number}</code>).</p>`
      : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>#${pr.number} ${esc(pr.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.6rem;margin:0 0 .25rem}.state{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-weight:600}
.open{background:#1a7f37}.merged{background:#8250df}.closed{background:#cf222e}.meta{color:#59636e}
pre{background:#f6f8fa;border:1px solid #d1d9e0;border-radius:6px;padding:.75rem;overflow:auto;font-size:13px}
pre span{display:block}.add{background:#dafbe1}.del{background:#ffebe9}.at{color:#0969da}.h{font-weight:600}
code{background:#eff1f3;padding:.1rem .3rem;border-radius:4px}pre code{background:none;padding:0}
.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}.body{border:1px solid #d1d9e0;border-radius:6px;padding:.75rem 1rem}
</style></head><body>
<h1>${esc(pr.title)} <span class="meta">#${pr.number}</span></h1>
<p><span class="state ${pr.state}">${pr.state}</span> <span class="meta">${stateLine(pr)}</span></p>
${next}
${body ? `<div class="md body">${body}</div>` : ''}
${reviews ? `<h2>Reviews</h2><ul>${reviews}</ul>` : ''}
${comments ? `<h2>Comments</h2><ul>${comments}</ul>` : ''}
<h2>Files changed (${files.length})</h2>
${files.map((f) => `<h3><code>${esc(f.path)}</code> <span class="meta">${f.status}</span></h3><pre>${patchHtml(f.patch)}</pre>`).join('\n')}
</body></html>
`;
}
