import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fillTemplate, parseLogsConfig, parseMetricsConfig, routeSource } from '../index.js';

describe('log and metric source configs', () => {
  it('parses sources with their defaults, routes by rule then default, and explains the choice', () => {
    const logs = parseLogsConfig(
      ['logs:', '  sources:', '    local: { type: victorialogs, url: "http://127.0.0.1:9428" }', '    search: { type: opensearch, url: "http://127.0.0.1:9200" }', '  rules:', '    - { environments: production, source: search }', '  default: local'].join('\n'),
      'logs.yaml',
    );
    assert.equal(logs.sources.local?.type === 'victorialogs' && logs.sources.local.stream, '{service.name="{component}",deployment.environment.name="{environment}"}');
    assert.equal(logs.sources.search?.type === 'opensearch' && logs.sources.search.fields.environment, 'deployment.environment.name');
    assert.deepEqual(routeSource(logs, { component: 'checkout', env: 'production' }, 'logs'), { source: 'search', why: 'rule 1 (environments production)' });
    assert.deepEqual(routeSource(logs, { component: 'checkout', env: 'preview-1' }, 'logs'), { source: 'local', why: 'the default source' });
  });

  it('without a matching rule or default, says what to add and where', () => {
    const metrics = parseMetricsConfig('sources: { prom: { type: prometheus, url: "http://127.0.0.1:9090" } }', 'm.yaml');
    assert.throws(() => routeSource(metrics, { component: 'checkout', env: 'staging' }, 'metrics'), /No metrics source is routed for checkout in staging.*default: prom.*IDP_METRICS_CONFIG/);
  });

  it('refuses unknown placeholders, unknown source names and inline credentials, each at its line, never quoting the value', () => {
    const text = [
      'sources:',
      '  l: { type: loki, url: "http://x", selector: "{app=\\"{service}\\"}", token: hunter2-canary }',
      'rules: [{ environments: "*", source: nope }]',
    ].join('\n');
    const err = (() => {
      try {
        parseLogsConfig(text, 'logs.yaml');
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    assert.match(err, /logs\.yaml:2:\d+: sources\.l\.selector: unknown placeholder \{service\}/);
    assert.match(err, /logs\.yaml:2:\d+: sources\.l\.token: token must not be written in the config/);
    assert.ok(!err.includes('hunter2-canary'));
    // Names are checked once the sources themselves are valid.
    assert.throws(() => parseLogsConfig('sources: { l: { type: loki, url: "http://x" } }\nrules: [{ environments: "*", source: nope }]', 'logs.yaml'), /logs\.yaml:2:\d+: rules\.0\.source: no source named "nope"; the sources are l/);
  });

  it('fills templates, escaping quotes so a value cannot end a string early', () => {
    assert.equal(fillTemplate('{service.name="{component}"}', { component: 'a"b' }), '{service.name="a\\"b"}');
    assert.equal(fillTemplate('x{{selector}}[{window}]', { selector: 'a="1"', window: '1m' }, (v) => v), 'x{a="1"}[1m]');
  });
});
