/**
 * The local runtime's state file, `<IDP_HOME>/runtime/state.json`: each environment's state for the API (`idp env
 * list`), the processes it runs (pid + start time, so a runtime started after a crash finds and stops them), and the
 * port each environment was given (kept, so its URL survives restarts). Written synchronously and atomically (temporary
 * file + rename) on every change: a process is on record the moment it is started, and a reader never sees half a file.
 *
 * Holds no secret value (nothing here is derived from one).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RuntimeRecord, RuntimeStateFile } from '@idp/api';

export class StateFile {
  readonly data: RuntimeStateFile;

  constructor(readonly path: string) {
    let data: RuntimeStateFile | undefined;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as RuntimeStateFile;
      if (parsed?.version === 1 && parsed.environments && parsed.ports) data = parsed;
    } catch {
      // None yet (a first start), or unreadable: start from nothing.
    }
    this.data = data ?? { version: 1, environments: {}, ports: {} };
  }

  get(key: string): RuntimeRecord | undefined {
    return this.data.environments[key];
  }

  set(key: string, record: RuntimeRecord): void {
    this.data.environments[key] = record;
    this.save();
  }

  delete(key: string): void {
    delete this.data.environments[key];
    this.save();
  }

  save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2) + '\n');
    renameSync(tmp, this.path);
  }
}
