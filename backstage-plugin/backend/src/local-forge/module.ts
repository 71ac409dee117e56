/**
 * The local forge in the embedded Backstage: the Scaffolder's `publish:idp-local` action and the `idpLocalRepoUrl`
 * template function (templates spell the new repository's URL before it exists, e.g. in catalog-info.yaml's
 * backstage.io/source-location), plus the UrlReader that lets the catalog read entities from local repositories.
 */
import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createTemplateGlobalFunction, scaffolderTemplatingExtensionPoint } from '@backstage/plugin-scaffolder-node/alpha';
import { createPublishIdpLocalAction } from './publish.js';
import { REPO_NAME, isInside, localForgeSettings, repoPath, repoUrl } from './repos.js';

export { localForgeUrlReaderFactory } from './url-reader.js';

export const localForgeScaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'idp-local-forge',
  register(reg) {
    reg.registerInit({
      deps: { actions: scaffolderActionsExtensionPoint, templating: scaffolderTemplatingExtensionPoint, config: coreServices.rootConfig, logger: coreServices.logger },
      async init({ actions, templating, config, logger }) {
        const settings = localForgeSettings(config);
        if (!isInside(settings.directory, settings.roots)) {
          logger.warn(`The local forge creates repositories in ${settings.directory}, outside IDP_REPO_ROOTS (${settings.roots.join(', ') || 'none'}): idp and the catalog will not read them.`);
        }
        actions.addActions(createPublishIdpLocalAction({ settings, config }));
        templating.addTemplateGlobals([
          createTemplateGlobalFunction({
            id: 'idpLocalRepoUrl',
            description: 'The file:// URL of the local forge repository publish:idp-local creates for a name',
            examples: [{ example: "${{ idpLocalRepoUrl(parameters.name) }}", notes: 'file:///…/repos/payments.git' }],
            schema: (z) => z.function().args(z.string()).returns(z.string()),
            fn: (name) => {
              if (!REPO_NAME.test(name)) throw new Error(`"${name}" is not a repository name`);
              return repoUrl(repoPath(settings, name));
            },
          }),
        ]);
      },
    });
  },
});
