/**
 * Scaffolder tasks in end-to-end tests: one started from a catalog template as a user, followed through its events
 * (`GET /v2/tasks/:id/events?after=`, which waits for new ones) to its completion.
 */
import assert from 'node:assert/strict';

export interface TaskEvent {
  id: number;
  type: 'log' | 'completion' | 'cancelled' | 'recovered';
  body: { message?: string; status?: string; stepId?: string; output?: Record<string, unknown>; error?: { message: string } };
}

export interface TaskRun {
  id: string;
  status: string;
  output: Record<string, unknown>;
  /** The log lines, one per line. */
  log: string;
  error?: string;
}

/** Follows task `id` to its completion, as the holder of `token`. */
export async function followTask(baseUrl: string, token: string, id: string): Promise<TaskRun> {
  const get = async (path: string) => {
    const res = await fetch(`${baseUrl}/api/scaffolder/v2/tasks/${id}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as unknown;
    assert.equal(res.status, 200, JSON.stringify(body));
    return body;
  };
  const events: TaskEvent[] = [];
  while (!events.some((e) => e.type === 'completion')) {
    events.push(...((await get(`/events${events.length ? `?after=${events.at(-1)!.id}` : ''}`)) as TaskEvent[]));
  }
  const completion = events.find((e) => e.type === 'completion')!;
  const task = (await get('')) as { status: string };
  return {
    id,
    status: task.status,
    output: completion.body.output ?? {},
    log: events.map((e) => e.body.message ?? '').join('\n'),
    ...(completion.body.error ? { error: completion.body.error.message } : {}),
  };
}

/** Starts `template` (a catalog Template's name) with `values` as the holder of `token`, and follows it to its end. */
export async function runTemplate(baseUrl: string, token: string, template: string, values: Record<string, unknown>): Promise<TaskRun> {
  const res = await fetch(`${baseUrl}/api/scaffolder/v2/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ templateRef: `template:default/${template}`, values }),
  });
  const body = (await res.json()) as { id: string };
  assert.equal(res.status, 201, JSON.stringify(body));
  return followTask(baseUrl, token, body.id);
}
