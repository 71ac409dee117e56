/**
 * A log line as `idp logs` prints it, Heroku's way: `2026-11-26T10:00:01Z app[web.1]: GET / 200 3ms` — the time to
 * the second (the full precision is in the line's tooltip), the process, the message with terminal control sequences
 * (an app's colours) taken out.
 */
import type { LogLineView } from '@idp/core';

// ANSI escape sequences (CSI … letter, OSC … BEL/ST), then any other control character but tab and newline.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export const plainText = (s: string) => s.replace(ANSI, '').replace(CONTROL, '');
export const shortTime = (time: string) => time.replace(/\.\d+Z$/, 'Z');
export const processLabel = (process: string) => `app[${process || 'app'}]:`;

export function formatLine(line: LogLineView): string {
  return `${shortTime(line.time)} ${processLabel(line.process)} ${plainText(line.message)}`;
}
