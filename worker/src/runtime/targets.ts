/**
 * Prometheus scrape targets for the local runtime's environments, as file_sd files: one `<component>--<env>.json` per
 * running environment in the targets folder Prometheus watches (providers/src/metrics/server.ts), labelled the way
 * the default metrics selector reads them (OpenTelemetry's names as Prometheus labels) — the runtime's labels are the
 * truth about which environment a series belongs to, whatever the app itself exports. Written to a temporary file and
 * renamed into place, so Prometheus never reads half a file; removed when the environment stops.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const targetFile = (dir: string, component: string, environment: string) => join(dir, `${component}--${environment}.json`);

export function writeTarget(dir: string, t: { component: string; environment: string; process: string; port: number }): void {
  mkdirSync(dir, { recursive: true });
  const file = targetFile(dir, t.component, t.environment);
  const body = [{ targets: [`127.0.0.1:${t.port}`], labels: { service_name: t.component, deployment_environment_name: t.environment, process: t.process } }];
  // Not *.json while being written: Prometheus reads only the finished file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n');
  renameSync(tmp, file);
}

export function removeTarget(dir: string, component: string, environment: string): void {
  rmSync(targetFile(dir, component, environment), { force: true });
}

/** Every target file of the folder (the runtime owns it): a runtime that starts has nothing running yet. */
export function removeAllTargets(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.endsWith('.json') || n.endsWith('.tmp')) rmSync(join(dir, n), { force: true });
}
