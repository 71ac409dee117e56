/** What main hands every command module, and the shape of that module. */
import type { Io, Ui } from './output.js';

/** Parsed options (mri): strings for value options, booleans for switches, `_` for extra positionals. */
export type Flags = { _: string[] } & Record<string, unknown>;

export interface CommandInput {
  /** Positional arguments, in the order of the command's usage. */
  args: string[];
  flags: Flags;
  io: Io;
  ui: Ui;
}

/** Each verb file exports `run`; an error thrown from it becomes the exit code (see exit-codes.ts). */
export interface CommandModule {
  run(input: CommandInput): Promise<void>;
}
