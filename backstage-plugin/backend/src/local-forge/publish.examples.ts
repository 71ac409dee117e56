/** Examples of `publish:idp-local`, as Backstage's own actions document theirs (shown by the Scaffolder's action list). */
import { stringify } from 'yaml';

export const examples = [
  {
    description: 'Creates the bare repository payments.git on the local forge from the workspace (main, authored by the task\'s user), then registers its catalog-info.yaml.',
    example: stringify({
      steps: [
        { id: 'publish', action: 'publish:idp-local', name: 'Publish to the local forge', input: { name: 'payments' } },
        { id: 'register', action: 'catalog:register', name: 'Register', input: { catalogInfoUrl: '${{ steps.publish.output.catalogInfoUrl }}' } },
      ],
    }),
  },
  {
    description: 'Publishes only a subfolder of the workspace, on a default branch called trunk, with its own commit message.',
    example: stringify({
      steps: [
        {
          id: 'publish',
          action: 'publish:idp-local',
          name: 'Publish to the local forge',
          input: { name: 'payments', sourcePath: 'service', defaultBranch: 'trunk', gitCommitMessage: 'payments: initial commit from the new-service template' },
        },
      ],
    }),
  },
];
