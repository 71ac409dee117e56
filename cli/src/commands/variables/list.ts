/**
 * idp variables [list] --env <env>: the variables the environment runs with, each with where its value comes from
 * (own, from: <env> through from:, or the workload default of a container) — Heroku's `heroku config`.
 * --json: the API's VariableList.
 */
import type { VariableList } from '@idp/core';
import type { CommandInput } from '../../command.js';
import { colors, table, terminalSafe, type Colors } from '../../output.js';
import { setup } from '../shared/common.js';
import { envFlag } from './common.js';

export function variablesTable(list: VariableList, c: Colors = colors(false)): string {
  if (!list.variables.length) return `${list.environment} has no variables. Set one: \`idp variables set KEY=VALUE --env ${list.environment}\`.\n`;
  const source = (s: string) => (s === 'own' ? s : s.startsWith('from:') ? c.dim(`from: ${s.slice(5)}`) : c.dim(`workload default (${s.slice('container:'.length)})`));
  return table(['KEY', 'VALUE', 'SOURCE'], list.variables.map((v) => [v.key, v.value, source(v.source)]), c);
}

export async function run(input: CommandInput): Promise<void> {
  const env = envFlag(input);
  const { client, ref } = await setup(input);
  const list = await client.listVariables(ref, env);
  if (input.ui.json) return input.ui.printJson(list);
  input.io.stdout.write(variablesTable(terminalSafe(list), input.ui.out));
}
