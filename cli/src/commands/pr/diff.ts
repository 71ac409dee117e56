/** idp pr diff <number>: the files a PR changes, as unified diffs (like `gh pr diff`). */
import type { PullDiff } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, terminalSafe, type Colors } from '../../output.js';
import { prNumber, setup } from '../shared/common.js';

export function formatDiff(diff: PullDiff, c: Colors = colors(false)): string {
  const lines: string[] = [];
  for (const file of diff.files) {
    for (const line of file.patch.trimEnd().split('\n')) {
      if (line.startsWith('+++') || line.startsWith('---')) lines.push(c.bold(line));
      else if (line.startsWith('@@')) lines.push(c.cyan(line));
      else if (line.startsWith('+')) lines.push(c.green(line));
      else if (line.startsWith('-')) lines.push(c.red(line));
      else lines.push(line);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

export async function run(input: CommandInput): Promise<void> {
  const { ui, io } = input;
  const n = prNumber(input.args[0]!);
  const { client, ref } = await setup(input);
  const diff = await client.diff(ref, n);
  if (ui.json) return ui.printJson(diff);
  io.stdout.write(formatDiff(terminalSafe(diff), ui.out));
}
