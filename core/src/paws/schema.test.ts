import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { EnvironmentSpecSchema, pawsJsonSchema, PawsSpecSchema, SECRET_VALUE_MESSAGE } from './schema.js';
import { CHECKOUT } from './test-fixtures.js';

const minimal = { apiVersion: 'paws.dev/v1', kind: 'Workload', metadata: { name: 'checkout' }, containers: { web: { image: 'nginx' } } };

describe('PawsSpecSchema', () => {
  it("accepts DESIGN.md's example", () => {
    const spec = PawsSpecSchema.parse(parse(CHECKOUT));
    assert.equal(spec.metadata.owner, 'team-payments');
    assert.equal(spec.deploy?.format, 'kustomize');
    assert.deepEqual(spec.environments?.['production']?.release, { approvals: 2, requiredChecks: ['ci/build'], approvers: ['team-payments'] });
    assert.deepEqual(spec.environments?.['preview-123'], { from: 'staging', lifecycle: { ttl: '72h', expiresAt: '2026-11-27T10:00:00Z' } });
  });

  it('keeps Score fields paws does not model, so the file can be exported to Score', () => {
    const spec = PawsSpecSchema.parse({
      ...minimal,
      metadata: { name: 'checkout', annotations: { 'acme.dev/tier': 'gold' } },
      containers: { web: { image: 'nginx', files: [{ target: '/etc/app.conf', content: 'x' }], livenessProbe: { httpGet: { path: '/', port: 8080 } } } },
      service: { ports: { www: { port: 80, targetPort: 8080 } } },
      resources: { db: { type: 'postgres', class: 'large', metadata: { annotations: {} } } },
    });
    assert.deepEqual(spec.containers['web']?.['files'], [{ target: '/etc/app.conf', content: 'x' }]);
    assert.deepEqual(spec.metadata['annotations'], { 'acme.dev/tier': 'gold' });
    assert.deepEqual(spec.resources?.['db']?.['metadata'], { annotations: {} });
  });

  it("rejects unknown keys in what paws adds (a typo must not be silently ignored)", () => {
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, enviroments: {} }).success, false);
    assert.equal(EnvironmentSpecSchema.safeParse({ lifecyle: { ttl: '1h' } }).success, false);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, deploy: { repo: 'r', path: 'p', format: 'kustomize', branch: 'x' } }).success, false);
  });

  it('requires the Score core and a DNS-1123 component name', () => {
    assert.equal(PawsSpecSchema.safeParse(minimal).success, true);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, apiVersion: 'score.dev/v1b1' }).success, false);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, metadata: { name: 'Checkout' } }).success, false);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, metadata: { name: 'a'.repeat(64) } }).success, false);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, containers: { web: {} } }).success, false);
  });

  it('accepts secret references of any scheme', () => {
    for (const ref of ['vault://kv/checkout/staging#stripe_key', 'aws-sm://prod/checkout/stripe', 'gcp-sm://projects/p/secrets/s/versions/1', 'env://STRIPE_KEY']) {
      assert.equal(EnvironmentSpecSchema.safeParse({ secrets: { K: { ref } } }).success, true, ref);
    }
  });

  it('rejects secret values, without repeating them', () => {
    for (const secrets of [{ K: 'sk_live_51Hx' }, { K: { ref: 'sk_live_51Hx' } }, { K: { ref: 'vault:kv/x' } }, { K: 12345 }]) {
      const result = EnvironmentSpecSchema.safeParse({ secrets });
      assert.equal(result.success, false);
      const messages = result.error!.issues.map((i) => i.message);
      assert.deepEqual(messages, [SECRET_VALUE_MESSAGE]);
      assert.ok(!messages.join().includes('sk_live'));
    }
    assert.equal(SECRET_VALUE_MESSAGE, 'secret values never go in paws.yaml; use a reference like vault://kv/app/env#key');
  });

  it('explains how to write a bare reference', () => {
    const result = EnvironmentSpecSchema.safeParse({ secrets: { K: 'vault://kv/a#b' } });
    assert.equal(result.error?.issues[0]?.message, 'write the reference as { ref: "vault://kv/a#b" }');
  });

  it('accepts the release policy fields, with rollback overrides, and nothing else', () => {
    const release = {
      approvals: 2,
      approvers: ['team-payments', 'alice'],
      requiredChecks: ['ci/build'],
      selfApproval: false,
      autoMerge: true,
      timeout: '72h',
      rollback: { approvals: 1, approvers: ['oncall'], requiredChecks: [], selfApproval: true, autoMerge: true, timeout: '2h' },
    };
    assert.deepEqual(EnvironmentSpecSchema.parse({ release }).release, release);
    assert.equal(EnvironmentSpecSchema.safeParse({ release: { approvals: -1 } }).success, false);
    assert.equal(EnvironmentSpecSchema.safeParse({ release: { approvals: 1.5 } }).success, false);
    assert.equal(EnvironmentSpecSchema.safeParse({ release: { selfApproval: 'yes' } }).success, false);
    assert.equal(EnvironmentSpecSchema.safeParse({ release: { aprovals: 1 } }).success, false);
    // A rollback path has no rollback path of its own.
    assert.equal(EnvironmentSpecSchema.safeParse({ release: { rollback: { rollback: {} } } }).success, false);
  });

  it('fills no release defaults into the parsed spec (inheritance needs to see what is unset)', () => {
    assert.deepEqual(EnvironmentSpecSchema.parse({ release: { approvals: 2 } }).release, { approvals: 2 });
  });

  it('takes an environment image as a string', () => {
    assert.equal(EnvironmentSpecSchema.parse({ image: 'ghcr.io/acme/checkout:1.4.3' }).image, 'ghcr.io/acme/checkout:1.4.3');
    assert.equal(EnvironmentSpecSchema.safeParse({ image: 1.4 }).error?.issues[0]?.message, 'expected an image like ghcr.io/acme/checkout:1.4.3');
  });

  it('takes deploy with a format and optional repo, path and container', () => {
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, deploy: { format: 'paws' } }).success, true);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, deploy: { format: 'helm-values', path: 'deploy/{env}', container: 'web' } }).success, true);
    assert.equal(PawsSpecSchema.safeParse({ ...minimal, deploy: { repo: 'r', path: 'p/{env}' } }).success, false);
  });

  it('asks for quotes when YAML made a variable a number', () => {
    const result = EnvironmentSpecSchema.safeParse({ variables: { PORT: 8080 } });
    assert.match(result.error?.issues[0]?.message ?? '', /quote the value/);
  });
});

describe('pawsJsonSchema', () => {
  const schema = pawsJsonSchema() as any;

  it('describes the document for editors', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual([...schema.required].sort(), ['apiVersion', 'containers', 'kind', 'metadata']);
    assert.equal(schema.properties.apiVersion.const, 'paws.dev/v1');
    assert.deepEqual(schema.properties.deploy.properties.format.enum, ['kustomize', 'helm-values', 'paws']);
    assert.deepEqual(JSON.parse(JSON.stringify(schema)), schema);
  });

  it('flags typos in paws keys but allows Score extensions', () => {
    assert.equal(schema.additionalProperties, false);
    const env = schema.properties.environments.anyOf.find((s: any) => s.type === 'object').additionalProperties;
    assert.equal(env.additionalProperties, false);
    assert.deepEqual(Object.keys(env.properties).sort(), ['from', 'image', 'lifecycle', 'release', 'secrets', 'variables']);
    assert.notEqual(schema.properties.containers.additionalProperties.additionalProperties, false);
  });

  it('checks secret references with the same pattern as the parser', () => {
    const pattern = new RegExp(
      schema.properties.environments.anyOf.find((s: any) => s.type === 'object').additionalProperties.properties.secrets.additionalProperties.properties.ref.pattern,
    );
    assert.equal(pattern.test('vault://kv/app/env#key'), true);
    assert.equal(pattern.test('sk_live_51Hx'), false);
  });
});
