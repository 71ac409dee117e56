/**
 * Following a Scaffolder task in the terminal (`idp create --wait`, `idp tasks logs`): its log on stderr as it comes,
 * then its output (links, prUrl, …) on stdout; exit code = the task's outcome. Ctrl-C stops following, not the task.
 */
import type { BackstageClient } from '../../backstage.js';
import { OutcomeError } from '../../exit-codes.js';
import type { Ui } from '../../output.js';
import { terminalSafe } from '../../output.js';
import { followTask, type TaskEvent, type TaskOutcome } from '../../task-events.js';

export const taskUrl = (client: BackstageClient, id: string) => `${client.baseUrl}/create/tasks/${encodeURIComponent(id)}`;
export const followHint = (client: BackstageClient, id: string) =>
  `The task keeps running. Follow it again with \`idp tasks logs ${id}\`, or open ${taskUrl(client, id)}`;

/** `idp create --wait --json` and `idp tasks logs --json` print this. */
export interface TaskResult {
  taskId: string;
  url: string;
  status: string;
  output: Record<string, unknown>;
  error?: string;
}

/** A step's lines come as Winston prints them ("info: …"): the level says nothing here, and a stack trace is noise. */
export function logText(message: string): string {
  return terminalSafe(message)
    .replace(/^(info|debug): /, '')
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .join('\n')
    .replace(/\n+$/, '');
}

/** One log event as a line on stderr: "[step] message". */
export function logLine(ui: Ui, body: TaskEvent['body']): void {
  if (!body.message) return;
  const c = ui.err;
  const text = logText(body.message);
  const step = body.stepId ? c.dim(`[${terminalSafe(body.stepId)}] `) : '';
  ui.note(`${step}${body.status === 'failed' ? c.red(text) : text}`);
}

/** The output as "key: value" lines; links as "title: url". */
export function outputLines(output: Record<string, unknown>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(terminalSafe(output))) {
    if (key === 'links' && Array.isArray(value)) {
      for (const l of value as { title?: string; url?: string; entityRef?: string }[]) lines.push(`${l.title ?? 'link'}: ${l.url ?? l.entityRef ?? ''}`);
    } else if (key === 'text' && Array.isArray(value)) {
      for (const t of value as { title?: string; content?: string }[]) lines.push(`${t.title ?? 'text'}: ${t.content ?? ''}`);
    } else {
      lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines;
}

export async function followAndReport(client: BackstageClient, ui: Ui, taskId: string): Promise<TaskOutcome> {
  // Ctrl-C stops following; the task runs on in Backstage. Say how to pick it up again.
  const onSignal = (signal: NodeJS.Signals) => {
    ui.io.stderr.write(`\n${followHint(client, taskId)}\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let outcome: TaskOutcome;
  try {
    outcome = await followTask(client, taskId, {
      onEvent: (e) => e.type === 'log' && logLine(ui, e.body),
      onReconnect: (after) => ui.note(ui.err.dim(`(the task's event stream dropped; reconnecting after event ${after})`)),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const result: TaskResult = { taskId, url: taskUrl(client, taskId), status: outcome.status, output: outcome.output, ...(outcome.error ? { error: outcome.error } : {}) };
  if (ui.json) ui.printJson(result);
  else for (const line of outputLines(outcome.output)) ui.print(line);
  if (outcome.status !== 'completed') {
    const step = outcome.failedStep ? ` at step ${outcome.failedStep}` : '';
    throw new OutcomeError('task_failed', `The task ${outcome.status}${step}${outcome.error ? `: ${outcome.error}` : '.'} (${result.url})`);
  }
  return outcome;
}
