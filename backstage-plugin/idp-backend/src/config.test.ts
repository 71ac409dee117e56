/** The plugin's settings from app-config: `idp.secrets` (stores, rules, default) wins over IDP_SECRETS_CONFIG. */
import { ConfigReader } from '@backstage/config';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverConfigFrom } from './config';

describe('idp.secrets', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'idp-backend-secrets-')), 'secrets.yaml');
  writeFileSync(file, 'stores:\n  local: { type: sops, repo: /srv/secrets.git, ageKeyFile: /srv/age.key }\ndefault: local\n');

  it('is read from app-config, and wins over IDP_SECRETS_CONFIG', () => {
    const config = new ConfigReader({
      idp: { secrets: { stores: { aws: { type: 'aws-sm', region: 'eu-west-1' } }, rules: [{ environments: 'prod*', store: 'aws' }], default: 'aws' } },
    });
    const cfg = serverConfigFrom(config, 'http://127.0.0.1:7007/api/idp', { IDP_SECRETS_CONFIG: file });
    expect(Object.keys(cfg.secrets!.stores)).toEqual(['aws']);
    expect(cfg.secrets!.rules).toEqual([{ environments: ['prod*'], store: 'aws' }]);
  });

  it('falls back to IDP_SECRETS_CONFIG, and to none', () => {
    expect(Object.keys(serverConfigFrom(new ConfigReader({}), 'http://x/api/idp', { IDP_SECRETS_CONFIG: file }).secrets!.stores)).toEqual(['local']);
    expect(serverConfigFrom(new ConfigReader({}), 'http://x/api/idp', {}).secrets).toBeUndefined();
  });

  it('refuses an inline credential without repeating it', () => {
    const config = new ConfigReader({ idp: { secrets: { stores: { vault: { type: 'vault', address: 'https://v:8200', token: 'hvs.not-here' } } } } });
    expect(() => serverConfigFrom(config, 'http://x/api/idp', {})).toThrow(/idp\.secrets in app-config is not a valid secrets config: stores\.vault\.token: token must not be written in the config/);
    expect(() => serverConfigFrom(config, 'http://x/api/idp', {})).not.toThrow(/hvs\.not-here/);
  });
});
