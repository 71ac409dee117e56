/**
 * `publish:idp-local`: the local forge's counterpart of `publish:github` — a new bare repository under the local
 * forge's folder (default $IDP_HOME/repos/<name>.git) holding the workspace as its initial commit, authored by the
 * task's user. An existing repository is never touched: the step fails with "already exists" (except when this very
 * task created it, e.g. the step re-run on task recovery: then it reports the same repository). Dry-run writes nothing.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import type { Config } from '@backstage/config';
import { ConflictError, InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { commitOf, git, type GitIdentity } from './git.js';
import { REPO_NAME, repoPath, repoUrl, type LocalForgeSettings } from './repos.js';
import { examples } from './publish.examples.js';

/** Marks a repository with the task that created it (git config of the bare repository). */
const TASK_KEY = 'idp.scaffolderTask';

/** The commit's author: the task's user as the catalog knows them (display name, email), else its entity ref. */
function authorOf(user: { entity?: { metadata: { name: string }; spec?: { profile?: { displayName?: string; email?: string } } }; ref?: string } | undefined, fallback: GitIdentity): GitIdentity {
  const entity = user?.entity;
  if (entity) {
    const name = entity.metadata.name;
    return { name: entity.spec?.profile?.displayName ?? name, email: entity.spec?.profile?.email ?? `${name}@users.noreply.idp.local` };
  }
  return fallback;
}

export function createPublishIdpLocalAction(options: { settings: LocalForgeSettings; config: Config }) {
  const { settings, config } = options;
  // Who commits (as Backstage's own publish actions do): the Scaffolder, on behalf of the author.
  const scaffolder: GitIdentity = {
    name: config.getOptionalString('scaffolder.defaultAuthor.name') ?? 'Scaffolder',
    email: config.getOptionalString('scaffolder.defaultAuthor.email') ?? 'scaffolder@backstage.io',
  };
  return createTemplateAction({
    id: 'publish:idp-local',
    description: "Creates a new bare repository on idp's local forge (under IDP_HOME) and pushes the workspace to it as the initial commit, authored by the task's user.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: (z) => z.string({ description: "The repository's name: lowercase letters, digits and '-' (the repository is <name>.git)" }).max(63),
        description: (z) => z.string({ description: "The repository's description (git's description file)" }).optional(),
        defaultBranch: (z) => z.string({ description: 'The default branch (default main)' }).optional(),
        sourcePath: (z) => z.string({ description: 'The folder of the workspace to publish (default: the whole workspace)' }).optional(),
        gitCommitMessage: (z) => z.string({ description: 'The initial commit\'s message (default "Initial commit")' }).optional(),
        catalogInfoPath: (z) => z.string({ description: 'Where catalog-info.yaml is in the repository (default /catalog-info.yaml), for the catalogInfoUrl output' }).optional(),
      },
      output: {
        remoteUrl: (z) => z.string({ description: 'The repository to clone (file:// URL)' }),
        repoContentsUrl: (z) => z.string({ description: "The repository's root, as URLs of its files start" }),
        catalogInfoUrl: (z) => z.string({ description: "catalog-info.yaml's URL, for catalog:register" }),
        commitHash: (z) => z.string({ description: 'The initial commit (absent on dry-run)' }).optional(),
      },
    },
    async handler(ctx) {
      const { name } = ctx.input;
      if (!REPO_NAME.test(name)) {
        throw new InputError(`"${name}" is not a repository name: use lowercase letters, digits and '-', starting and ending with a letter or digit.`);
      }
      const branch = ctx.input.defaultBranch ?? 'main';
      if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(branch) || branch.includes('..')) throw new InputError(`"${branch}" is not a branch name.`);
      const source = resolveSafeChildPath(ctx.workspacePath, ctx.input.sourcePath ?? '.');
      const target = repoPath(settings, name);
      const remoteUrl = repoUrl(target);
      const catalogInfoPath = (ctx.input.catalogInfoPath ?? '/catalog-info.yaml').replace(/^\/+/, '');
      const outputs = () => {
        ctx.output('remoteUrl', remoteUrl);
        ctx.output('repoContentsUrl', `${remoteUrl}/`);
        ctx.output('catalogInfoUrl', `${remoteUrl}/${catalogInfoPath}`);
      };
      const exists = () => new ConflictError(`The repository ${name} already exists on the local forge (${remoteUrl}); choose another name, or delete that repository first.`);

      if (existsSync(target)) {
        // A re-run of this step by the task that created it (task recovery) reports what it made; anyone else is refused.
        const owner = (await git(['--git-dir', target, 'config', '--get', TASK_KEY]).catch(() => Buffer.from(''))).toString().trim();
        const head = owner === ctx.task.id ? await commitOf(target) : undefined;
        if (!head) throw exists();
        ctx.logger.info(`${remoteUrl} was created by this task already (commit ${head.slice(0, 12)})`);
        outputs();
        ctx.output('commitHash', head);
        return;
      }
      if (ctx.isDryRun) {
        ctx.logger.info(`Dry run: would create ${remoteUrl} (branch ${branch}) from the workspace; nothing written`);
        outputs();
        return;
      }

      // Built beside its final place and renamed into it: no half-made repository is ever visible under its name,
      // and a repository created meanwhile by someone else is not overwritten (rename onto a non-empty folder fails).
      mkdirSync(settings.directory, { recursive: true });
      const building = mkdtempSync(join(settings.directory, `.${name}.git-`));
      try {
        const author = authorOf(ctx.user, scaffolder);
        const env = {
          GIT_AUTHOR_NAME: author.name,
          GIT_AUTHOR_EMAIL: author.email,
          GIT_COMMITTER_NAME: scaffolder.name,
          GIT_COMMITTER_EMAIL: scaffolder.email,
        };
        await git(['init', '--quiet', '--bare', `--initial-branch=${branch}`, building]);
        // The workspace is the work tree, the new repository the git dir: nothing is written into the workspace.
        const repo = ['--git-dir', building, '--work-tree', source];
        await git([...repo, 'add', '--all', '.'], { cwd: source });
        const message = ctx.input.gitCommitMessage ?? 'Initial commit';
        const trailer = ctx.user?.ref ? `\n\nRequested-by: ${ctx.user.ref}\nScaffolder-task: ${ctx.task.id}` : `\n\nScaffolder-task: ${ctx.task.id}`;
        await git([...repo, 'commit', '--quiet', '--allow-empty', '-m', message + trailer], { env, cwd: source });
        rmSync(join(building, 'index'), { force: true });
        await git(['--git-dir', building, 'config', TASK_KEY, ctx.task.id]);
        if (ctx.input.description) writeFileSync(join(building, 'description'), `${ctx.input.description}\n`);
        try {
          renameSync(building, target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (e as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
          throw e;
        }
      } finally {
        rmSync(building, { recursive: true, force: true });
      }
      const head = await commitOf(target);
      ctx.logger.info(`Created ${remoteUrl} (${branch} at ${head?.slice(0, 12)}, author ${ctx.user?.ref ?? scaffolder.name})`);
      outputs();
      if (head) ctx.output('commitHash', head);
    },
  });
}
