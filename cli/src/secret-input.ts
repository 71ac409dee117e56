/**
 * Reading a secret value without it ever being on the command line or on the screen: all of stdin when it is not a
 * terminal (a pipe, a file), else a prompt on stderr that echoes nothing (the terminal in raw mode; Enter ends it,
 * Backspace works, Ctrl-C aborts). Loaded only by `idp secrets set`.
 */
import type { Readable } from 'node:stream';

/** More than any store takes (AWS: 64 KiB); what the API refuses anyway, without reading on forever. */
const MAX_BYTES = 1024 * 1024;

export interface SecretSource {
  stdin: Readable & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };
  stderr: { write(s: string): unknown };
}

/** One trailing newline is dropped: `echo "$X" | idp secrets set K` means X, not X and a newline. */
export function withoutTrailingNewline(s: string): string {
  return s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s;
}

/** All of a stream, as UTF-8 (at most MAX_BYTES: more is refused without being kept). */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_BYTES) {
      chunks.length = 0;
      throw new Error(`The value on stdin is over ${MAX_BYTES / 1024 / 1024} MiB; secret stores take at most 64 KiB.`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Typed at a prompt that shows nothing (not even stars: their count would tell the length). */
export function promptHidden(prompt: string, src: SecretSource): Promise<string> {
  const { stdin, stderr } = src;
  stderr.write(prompt);
  stdin.setRawMode?.(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(Object.assign(new Error('Interrupted: nothing was sent.'), { interrupted: true }));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The value from stdin (a pipe) or typed at a hidden prompt (a terminal). */
export async function readSecret(prompt: string, src: SecretSource = { stdin: process.stdin, stderr: process.stderr }): Promise<string> {
  if (src.stdin.isTTY) {
    return promptHidden(prompt, src).catch((e: unknown) => {
      // Ctrl-C in raw mode arrives as a character: the terminal is restored, then the process ends as on a SIGINT (130).
      if ((e as { interrupted?: boolean }).interrupted) process.kill(process.pid, 'SIGINT');
      throw e;
    });
  }
  return withoutTrailingNewline(await readAll(src.stdin));
}
