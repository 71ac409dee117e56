/**
 * Fault injection for the durability tests: with IDP_FAULT=<point>, the worker
 * process kills itself (SIGKILL, no clean-up) when it reaches that point. Unset
 * in normal runs, where this is a no-op.
 */
export function faultPoint(point: 'after-push' | 'after-open' | 'after-merge'): void {
  if (process.env.IDP_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
