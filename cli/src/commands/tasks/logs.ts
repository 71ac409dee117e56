/** idp tasks logs <taskId>: a Scaffolder task's log from its start, followed to its end; exit code = its outcome. */
import type { CommandInput } from '../../command.js';
import { BackstageClient } from '../../backstage.js';
import { resolveApi } from '../../context.js';
import { UsageError } from '../../exit-codes.js';
import { contextFlags } from '../shared/common.js';
import { followAndReport } from '../shared/task.js';

export async function run(input: CommandInput): Promise<void> {
  const id = input.args[0]!.trim();
  if (!/^[A-Za-z0-9-]+$/.test(id)) throw new UsageError(`"${id}" is not a task id (idp create prints it).`);
  const client = new BackstageClient(resolveApi(contextFlags(input.flags), input.io.env));
  await followAndReport(client, input.ui, id);
}
