/**
 * One definition per action, two registrations built from it: a Scaffolder template action (idp:<name>, with dry-run,
 * the task's log and checkpoints) and an Actions registry action of the idp plugin (id idp:<name>, for
 * `backstage-cli actions execute` and MCP clients). The definition's `run` is all the action does; the two adapters only
 * say who the caller is, whether it is a dry run, and what makes a retry the same request.
 */
import type { AnyZodObject, z } from 'zod/v3';
import type { BackstageCredentials, LoggerService } from '@backstage/backend-plugin-api';
import type { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import { createTemplateAction, type ActionContext, type TemplateAction } from '@backstage/plugin-scaffolder-node';
import type { JsonObject, JsonValue } from '@backstage/types';
import { stringify } from 'yaml';
import type { PlatformDeps } from './platform.js';

/** What an action runs with, whichever way it was invoked. */
export interface RunContext {
  deps: PlatformDeps;
  /** Who acts: the task's initiator (Scaffolder) or the caller (Actions registry). The API sees this principal. */
  credentials: BackstageCredentials;
  dryRun: boolean;
  /** Sent as the Idempotency-Key of the request this run makes: the same on a retry of the same step. */
  idempotencyKey?: string;
  log(message: string): void;
  /** Returns the first run's value on a retry of the same step (Scaffolder checkpoints); runs fn otherwise. */
  checkpoint<T extends JsonValue>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Aborted when the task is cancelled. */
  signal?: AbortSignal;
}

export interface ActionExample {
  title: string;
  description: string;
  input: JsonObject;
}

export interface IdpActionDefinition<I extends AnyZodObject = AnyZodObject, O extends AnyZodObject = AnyZodObject> {
  /** The registry name (`env:clone`); the template action's id is `idp:<name>`, as is the registry's. */
  name: string;
  title: string;
  description: string;
  input: (zod: typeof z) => I;
  output: (zod: typeof z) => O;
  attributes: { readOnly: boolean; destructive: boolean; idempotent: boolean };
  /** Checked against `input` by the unit tests. */
  examples: ActionExample[];
  run(ctx: RunContext, input: z.infer<I>): Promise<z.infer<O>>;
}

export const defineAction = <I extends AnyZodObject, O extends AnyZodObject>(d: IdpActionDefinition<I, O>): IdpActionDefinition<I, O> => d;

/** An Idempotency-Key from what identifies a Scaffolder step (the API accepts 8-128 of [A-Za-z0-9._:-]). */
export function stepKey(taskId: string, stepId: string | undefined): string {
  return `scaffolder:${taskId}:${stepId ?? 'step'}`.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 128);
}

/** The Scaffolder's template action of a definition. */
export function toTemplateAction(def: IdpActionDefinition, deps: PlatformDeps): TemplateAction<any, any, any> {
  const id = `idp:${def.name}`;
  return createTemplateAction({
    id,
    description: def.description,
    supportsDryRun: true,
    // The same examples as the registry's, written as the steps of a template.
    examples: def.examples.map((e) => ({
      description: `${e.title}: ${e.description}`,
      example: stringify({ steps: [{ id: def.name.replace(':', '-'), action: id, name: e.title, input: e.input }] }),
    })),
    schema: { input: def.input, output: def.output },
    async handler(ctx: ActionContext<JsonObject, JsonObject>) {
      const output = await def.run(
        {
          deps,
          credentials: await ctx.getInitiatorCredentials(),
          dryRun: ctx.isDryRun === true,
          idempotencyKey: stepKey(ctx.task.id, ctx.step?.id),
          log: (m) => ctx.logger.info(m),
          checkpoint: (key, fn) => ctx.checkpoint({ key, fn }) as Promise<any>,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
        ctx.input as never,
      );
      for (const [k, v] of Object.entries(output as JsonObject)) if (v !== undefined) ctx.output(k, v);
    },
  } as any) as TemplateAction<any, any, any>;
}

/** Registers a definition with the idp plugin's Actions registry (ids idp:<name>). */
export function registerAction(registry: ActionsRegistryService, def: IdpActionDefinition, deps: PlatformDeps, logger: LoggerService): void {
  registry.register({
    name: def.name,
    title: def.title,
    description: def.description,
    schema: { input: def.input, output: def.output },
    attributes: def.attributes,
    examples: def.examples.map((e) => ({ title: e.title, description: e.description, input: e.input })),
    action: async ({ input, credentials }: { input: z.infer<AnyZodObject>; credentials: BackstageCredentials }) => ({
      // No step to retry here: each invocation is its own request (the API's deterministic workflow ids still join).
      output: await def.run({ deps, credentials, dryRun: false, log: (m) => logger.info(`${def.name}: ${m}`), checkpoint: (_key, fn) => fn() }, input),
    }),
  } as any);
}
