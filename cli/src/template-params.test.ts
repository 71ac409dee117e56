import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from './exit-codes.js';
import { coerce, collectValues, componentParameter, missingRequired, parametersOf, problems, stepsOf, withDefaults } from './template-params.js';

const steps = stepsOf([
  {
    title: 'What',
    required: ['name', 'replicas'],
    properties: {
      name: { type: 'string', title: 'Name', pattern: '^[a-z]+$' },
      replicas: { type: 'integer', title: 'Replicas', default: 2 },
      public: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      ports: { type: 'array', items: { type: 'integer' } },
      size: { type: 'string', enum: ['s', 'l'] },
    },
  },
  { title: 'Where', required: ['service'], properties: { service: { type: 'string', 'ui:field': 'EntityPicker', 'ui:options': { catalogFilter: [{ kind: ['Component'] }] } } } },
  { title: 'Later', when: '${{ parameters.public }}', required: ['domain'], properties: { domain: { type: 'string' } } },
]);

describe('template parameters', () => {
  it('lists what a template asks, required marked, in form order', () => {
    assert.deepEqual(
      parametersOf(steps).map((p) => [p.name, p.required, p.step]),
      [
        ['name', true, 'What'],
        ['replicas', true, 'What'],
        ['public', false, 'What'],
        ['tags', false, 'What'],
        ['ports', false, 'What'],
        ['size', false, 'What'],
        ['service', true, 'Where'],
        ['domain', true, 'Later'],
      ],
    );
  });

  it('types --set values by the schema, and refuses what does not fit', () => {
    const v = collectValues(steps, { name: 'file', size: 's' }, ['name=flag', 'replicas=3', 'public=yes', 'tags=a, b', 'ports=[80,443]', 'extra=kept']);
    assert.deepEqual(v, { name: 'flag', size: 's', replicas: 3, public: true, tags: ['a', 'b'], ports: [80, 443], extra: 'kept' });
    assert.deepEqual(coerce('ports', '80,8080', { type: 'array', items: { type: 'integer' } }), [80, 8080]);
    assert.throws(() => coerce('replicas', '2.5', { type: 'integer', title: 'Replicas' }), (e: Error) => e instanceof UsageError && /Replicas must be a whole number/.test(e.message));
    assert.throws(() => coerce('public', 'maybe', { type: 'boolean' }), /must be true or false/);
    assert.throws(() => collectValues(steps, {}, ['novalue']), /expected name=value/);
  });

  it('applies defaults, finds the component picker, and lists missing required values (not those of a `when` step)', () => {
    const v = withDefaults(steps, { name: 'x' });
    assert.equal(v.replicas, 2);
    assert.equal(componentParameter(steps), 'service');
    assert.deepEqual(missingRequired(steps, v).map((p) => p.name), ['service']);
  });

  it('reports what the Scaffolder would reject, with titles', async () => {
    assert.deepEqual(await problems(steps, { name: 'Bad1', replicas: 'two', size: 'm', service: 'c' }), [
      'name (Name): does not match pattern "^[a-z]+$"',
      'replicas (Replicas): is not of a type(s) integer',
      'size: is not one of enum values: s,l',
    ]);
    assert.deepEqual(await problems(steps, { name: 'ok', replicas: 1, service: 'c' }), []);
  });
});
