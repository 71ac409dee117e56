/**
 * What runs for each environment, as the platform's runtime reports it (`runtime` of `idp env list`). The embedded
 * stack's local runtime (worker/src/runtime/) keeps its state in a JSON file, `<IDP_HOME>/runtime/state.json`, and the
 * API reads it from there (IDP_RUNTIME_STATE names it): whichever process serves the API, the runtime's process stays
 * the only writer. Elsewhere no runtime reports, and environments have no `runtime`.
 *
 * The file holds no secret value: states, ports, pids, images and reasons only.
 */
import { readFile } from 'node:fs/promises';
import type { EnvironmentRuntime } from '@idp/core';

export interface RuntimeStatus {
  /** What runs for `environment` of `component`, if the runtime knows it. */
  get(component: string, environment: string): Promise<EnvironmentRuntime | undefined>;
}

/** One environment's record in the state file: what the API shows, and what the runtime needs to find its processes again. */
export interface RuntimeRecord extends EnvironmentRuntime {
  component: string;
  environment: string;
  /** The bare repository it runs from, and the commit of it. */
  repo: string;
  commit?: string;
  port?: number;
  /** What it runs: one process per container, `<container>.1`; pid plus the process's start time tell it from a later one with its pid. */
  processes: { name: string; pid: number; startKey: string }[];
}

export interface RuntimeStateFile {
  version: 1;
  /** By runtimeKey(component, environment). */
  environments: Record<string, RuntimeRecord>;
  /** The port each environment was given, kept across restarts so its URL stays the same. */
  ports: Record<string, number>;
}

export const runtimeKey = (component: string, environment: string) => `${component}/${environment}`;

/** The runtime's state file, read on each call (a few KB; the runtime replaces it atomically). */
export function runtimeStatusFromFile(path: string): RuntimeStatus {
  return {
    async get(component, environment) {
      let file: RuntimeStateFile;
      try {
        file = JSON.parse(await readFile(path, 'utf8')) as RuntimeStateFile;
      } catch {
        return undefined; // no runtime has run yet (or it is writing its first state)
      }
      const r = file.environments?.[runtimeKey(component, environment)];
      if (!r) return undefined;
      return {
        state: r.state,
        ...(r.url !== undefined ? { url: r.url } : {}),
        ...(r.image !== undefined ? { image: r.image } : {}),
        ...(r.since !== undefined ? { since: r.since } : {}),
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
      };
    },
  };
}

/** IDP_RUNTIME_STATE (the embedded stack sets it): the local runtime's state file; unset, no runtime reports. */
export function runtimeStatusFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeStatus | undefined {
  return env.IDP_RUNTIME_STATE ? runtimeStatusFromFile(env.IDP_RUNTIME_STATE) : undefined;
}
