/** Every idp action, once: module.ts registers each with the Scaffolder and with the Actions registry. */
import { envCloneAction } from './env/clone.js';
import { envCreateAction } from './env/create.js';
import { envDestroyAction } from './env/destroy.js';
import { envExtendAction } from './env/extend.js';
import { releaseCreateAction } from './release/create.js';
import { releasePromoteAction } from './release/promote.js';
import { releaseRollbackAction } from './release/rollback.js';
import { secretSetRefAction } from './secret/set-ref.js';
import { variablesSetAction } from './variables/set.js';
import { workflowWaitAction } from './workflow/wait.js';
import type { IdpActionDefinition } from '../definition.js';

export const idpActions = [envCloneAction, envCreateAction, envDestroyAction, envExtendAction, releaseCreateAction, releasePromoteAction, releaseRollbackAction, secretSetRefAction, variablesSetAction, workflowWaitAction] as unknown as IdpActionDefinition[];
export { envCloneAction, envCreateAction, envDestroyAction, envExtendAction, releaseCreateAction, releasePromoteAction, releaseRollbackAction, secretSetRefAction, variablesSetAction, workflowWaitAction };
