/**
 * The demo's catalog: its component (a catalog-info.yaml committed in the demo repository, pointing back at it) and
 * the people — team-payments (alice, bob) owns checkout; carol is on another team; guest is Backstage's guest user.
 * So the README's production release can be requested by one person and approved by two others of the owning group.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'idp demo', GIT_AUTHOR_EMAIL: 'demo@idp.local', GIT_COMMITTER_NAME: 'idp demo', GIT_COMMITTER_EMAIL: 'demo@idp.local' } });
}

const user = (name: string, memberOf: string[], namespace = 'default') => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace, annotations: { 'github.com/user-login': `${name}-gh` } },
  spec: { profile: { displayName: name[0]!.toUpperCase() + name.slice(1), email: `${name}@example.com` }, memberOf },
});

/** Writes org.yaml (every start: it is the embedded stack's own) and commits catalog-info.yaml once. */
export function seedDemoCatalog(home: string, demo: { bare: string; workdir: string }): void {
  const org = [
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-payments', description: 'Owns checkout' }, spec: { type: 'team', children: [] } },
    { apiVersion: 'backstage.io/v1alpha1', kind: 'Group', metadata: { name: 'team-search' }, spec: { type: 'team', children: [] } },
    user('alice', ['team-payments']),
    user('bob', ['team-payments']),
    user('carol', ['team-search']),
    user('guest', [], 'development'),
  ];
  writeFileSync(join(home, 'demo', 'org.yaml'), org.map((e) => stringify(e)).join('---\n'));

  const info = join(demo.workdir, 'catalog-info.yaml');
  if (existsSync(info)) return;
  const component = {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'checkout',
      description: 'The demo service idp manages',
      annotations: { 'backstage.io/source-location': `url:file://${demo.bare}/` },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'group:default/team-payments' },
  };
  writeFileSync(info, stringify(component));
  git(demo.workdir, 'add', 'catalog-info.yaml');
  git(demo.workdir, 'commit', '--quiet', '-m', 'checkout: register in the catalog');
  git(demo.workdir, 'push', '--quiet', 'origin', 'HEAD:main');
}
