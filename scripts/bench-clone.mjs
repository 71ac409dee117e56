// clone → PR URL through the Backstage backend, and where its time goes (issue #11), measured, not estimated:
//  - on the server, the Platform API's Server-Timing header: auth (Backstage token verification + user info),
//    read (the validation read of paws.yaml), authz (the permission check), uws (the update-with-start round trip);
//  - inside uws, the workflow's own history: each workflow task's and activity's schedule-to-start (how long it
//    waited to be picked up) and run time; prepareEnvChange is the activity's git writes, openPullRequest the PR record;
//  - what is left of the client's time: HTTP, Backstage's middleware, JSON.
import { Connection, Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const ET = proto.temporal.api.enums.v1.EventType;
const ms = (ns) => Number(ns) / 1e6;
export const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const at = (e) => Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6;

/** A PlatformClient fetch that keeps the Server-Timing of the last response. */
export function timingFetch() {
  const f = async (url, init) => {
    const res = await fetch(url, init);
    f.last = Object.fromEntries(
      (res.headers.get('server-timing') ?? '').split(',').filter(Boolean).map((s) => {
        const [name, ...params] = s.trim().split(';');
        const dur = params.find((p) => p.startsWith('dur='));
        return [name, dur ? Number(dur.slice(4)) : 0];
      }),
    );
    return res;
  };
  f.last = {};
  return f;
}

/** The steps of an env-clone up to its update's answer, from its history (ms). */
function steps(events) {
  const out = {};
  const first = (type, after = 0) => events.find((e) => e.eventType === type && Number(e.eventId) > after);
  const started = first(ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
  const done = first(ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  if (!started || !done) return undefined;
  let wft = 0;
  let dispatch = 0;
  for (const e of events) {
    if (Number(e.eventId) > Number(done.eventId)) break;
    if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_STARTED) {
      const sched = events.find((s) => Number(s.eventId) === Number(e.workflowTaskStartedEventAttributes.scheduledEventId));
      const end = first(ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, Number(e.eventId));
      out[`wft${++wft} wait`] = at(e) - at(sched);
      out[`wft${wft} run`] = end ? at(end) - at(e) : 0;
      dispatch += at(e) - at(sched);
    }
    if (e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
      const name = e.activityTaskScheduledEventAttributes.activityType.name;
      const st = events.find((s) => s.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED && Number(s.activityTaskStartedEventAttributes.scheduledEventId) === Number(e.eventId));
      const end = events.find((s) => s.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_COMPLETED && Number(s.activityTaskCompletedEventAttributes.scheduledEventId) === Number(e.eventId));
      if (!st || !end) continue;
      out[`${name} wait`] = at(st) - at(e);
      out[`${name} run`] = at(end) - at(st);
      dispatch += at(st) - at(e);
    }
  }
  // Local activities run inside a workflow task; their markers (recorded with the task's completion) carry when each
  // completed (the worker's clock, on this same machine), so each one's share of the task is the time since the step before.
  let since;
  let task;
  const local = events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
  for (const e of local ? events : []) {
    if (Number(e.eventId) > Number(done.eventId)) break;
    if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_STARTED) since = at(e);
    if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) task = at(e);
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity' || !marker.details?.data) continue;
    const data = JSON.parse(Buffer.from(marker.details.data.payloads[0].data).toString());
    const completed = Number(data.complete_time.seconds) * 1000 + data.complete_time.nanos / 1e6;
    out[`  ${data.activity_type} (local activity${data.seq === 1 ? ", from the task's start" : ''})`] = completed - since;
    since = completed;
  }
  if (since && task) out['  rest of the task (after the last local activity)'] = task - since;
  const total = at(done) - at(started);
  const accounted = Object.entries(out).filter(([k]) => / (wait|run)$/.test(k)).reduce((a, [, v]) => a + v, 0);
  out['between recorded steps'] = total - accounted;
  out['workflow: start → PR (history)'] = total;
  out['of which: waiting to be picked up'] = dispatch;
  return out;
}

/**
 * `n` clones one after another through `client` (a PlatformClient on `fetch`, a timingFetch); returns the client
 * latencies and per-step medians. `running` says how many workflows were already running (for the label).
 */
export async function cloneBreakdown({ client, fetch, temporalAddress, repo, prefix, n }) {
  const lat = [];
  const rows = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const res = await client.cloneEnvironment('staging', { repo, target: `${prefix}-${i}` });
    const total = ms(process.hrtime.bigint() - t);
    if (!res.pr?.url) throw new Error(`no PR URL: ${JSON.stringify(res)}`);
    lat.push(total);
    rows.push({ id: res.workflowId, total, server: { ...fetch.last } });
  }
  const connection = await Connection.connect({ address: temporalAddress });
  const temporalClient = new Client({ connection });
  const steps_ = [];
  try {
    for (const r of rows) {
      const { events } = await temporalClient.workflow.getHandle(r.id).fetchHistory();
      const s = steps(events);
      if (!s) continue;
      const server = r.server;
      const known = (server.auth ?? 0) + (server.read ?? 0) + (server.authz ?? 0) + (server.uws ?? 0);
      steps_.push({
        'Backstage auth (token verification, user info)': server.auth,
        'permission check': server.authz,
        'API validation read of paws.yaml': server.read,
        'update-with-start round trip': server.uws,
        ...Object.fromEntries(Object.entries(s).map(([k, v]) => [`  ${k}`, v])),
        '  uws minus workflow (gRPC, persistence, update admit)': server.uws - s['workflow: start → PR (history)'],
        'rest (HTTP, Backstage middleware, JSON)': r.total - known,
      });
    }
  } finally {
    await connection.close();
  }
  const keys = [...new Set(steps_.flatMap((s) => Object.keys(s)))];
  const breakdown = keys.map((k) => {
    const xs = steps_.map((s) => s[k]).filter((v) => typeof v === 'number');
    return [k, pct(xs, 50), pct(xs, 95)];
  });
  return { lat, breakdown };
}

/** Running workflows on the stack's Temporal (visibility count). */
export async function runningCount(temporalAddress) {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const { count } = await new Client({ connection }).workflow.count(`ExecutionStatus = 'Running'`);
    return count;
  } finally {
    await connection.close();
  }
}

/**
 * What the other running workflows did on the server between `from` and `to` (ms since the epoch), from their
 * histories: workflow tasks completed and activities started — the load the measured clones competed with.
 */
export async function backgroundTasks(temporalAddress, from, to, skip) {
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  let tasks = 0;
  let activities = 0;
  let timers = 0;
  try {
    for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
      if (skip(wf.workflowId)) continue;
      const { events } = await client.workflow.getHandle(wf.workflowId).fetchHistory();
      for (const e of events) {
        if (at(e) < from || at(e) > to) continue;
        if (e.eventType === ET.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) tasks++;
        if (e.eventType === ET.EVENT_TYPE_ACTIVITY_TASK_STARTED) activities++;
        if (e.eventType === ET.EVENT_TYPE_TIMER_FIRED) timers++;
      }
    }
  } finally {
    await connection.close();
  }
  return { tasks, activities, timers };
}
