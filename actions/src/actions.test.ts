/**
 * The action definitions and both registrations built from them: every example is valid input of its action (the
 * registry's schema, and the Scaffolder's JSON schema), the template actions support dry-run and carry the examples as
 * template steps, and bad input is refused by the schema the Scaffolder validates with.
 */
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { validate } from 'jsonschema';
import { parse } from 'yaml';
import { z } from 'zod/v3';
import { idpActions } from './actions';
import { stepKey, toTemplateAction } from './definition';
import type { PlatformDeps } from './platform';

const deps: PlatformDeps = { discovery: mockServices.discovery(), auth: mockServices.auth(), catalog: catalogServiceMock(), prWaitSeconds: 1 };

describe('idp actions', () => {
  it('are the ten of the issues, each under idp:<name> in both registrations', () => {
    expect(idpActions.map((a) => a.name)).toEqual(['env:clone', 'env:create', 'env:destroy', 'env:extend', 'release:create', 'release:promote', 'release:rollback', 'secret:set-ref', 'variables:set', 'workflow:wait']);
    for (const a of idpActions) expect(toTemplateAction(a, deps).id).toBe(`idp:${a.name}`);
  });

  describe.each(idpActions.map((a) => [a.name, a] as const))('%s', (_name, def) => {
    const action = toTemplateAction(def, deps);

    it('has examples that are valid input, for the registry (zod) and the Scaffolder (its JSON schema)', () => {
      expect(def.examples.length).toBeGreaterThan(0);
      for (const e of def.examples) {
        expect(def.input(z).safeParse(e.input).success).toBe(true);
        expect(validate(e.input, action.schema!.input!).errors).toEqual([]);
      }
    });

    it('shows the same examples as template steps using the action', () => {
      expect(action.examples).toHaveLength(def.examples.length);
      for (const [i, e] of action.examples!.entries()) {
        const step = parse(e.example).steps[0];
        expect(step.action).toBe(`idp:${def.name}`);
        expect(step.input).toEqual(def.examples[i]!.input);
      }
    });

    it('supports dry-run, says what it writes, and declares its outputs', () => {
      expect(action.supportsDryRun).toBe(true);
      expect(def.attributes.readOnly).toBe(def.name === 'workflow:wait');
      expect(Object.keys((action.schema!.output as { properties: object }).properties)).toEqual(expect.arrayContaining(def.name === 'workflow:wait' ? ['status', 'outcome'] : ['prUrl', 'prNumber', 'workflowId']));
    });
  });

  it('refuses an environment name that is not a DNS label, before anything runs', () => {
    const clone = toTemplateAction(idpActions[0]!, deps);
    const r = validate({ component: 'component:default/checkout', source: 'staging', name: 'Preview_7' }, clone.schema!.input!);
    expect(r.errors.map((e) => e.property)).toEqual(['instance.name']);
    expect(validate({ component: 'component:default/checkout', source: 'staging', name: 'preview-7', ttl: '3 days' }, clone.schema!.input!).valid).toBe(false);
  });

  it('release actions output the version', () => {
    for (const name of ['release:create', 'release:promote', 'release:rollback']) {
      const action = toTemplateAction(idpActions.find((a) => a.name === name)!, deps);
      expect(Object.keys((action.schema!.output as { properties: object }).properties)).toContain('version');
    }
  });

  it('idp:workflow:wait in a dry run waits for nothing and says what it would do', async () => {
    const wait = toTemplateAction(idpActions.find((a) => a.name === 'workflow:wait')!, deps);
    // createMockActionContext drops isDryRun: set it as the Scaffolder does for a dry run.
    const ctx = { ...createMockActionContext({ input: { workflowId: 'env-clone:checkout:preview-7@abc' } }), isDryRun: true };
    await wait.handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith('outcome', 'dry-run');
    expect(ctx.output).toHaveBeenCalledWith('workflowId', 'env-clone:checkout:preview-7@abc');
  });

  it('derives an Idempotency-Key the API accepts from the task and step ids', () => {
    expect(stepKey('0f2c-uuid', 'clone')).toBe('scaffolder:0f2c-uuid:clone');
    expect(stepKey('t', 'a step/with spaces')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
    expect(stepKey('t'.repeat(200), 's')).toHaveLength(128);
  });
});
