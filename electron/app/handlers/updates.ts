import { describeUpdate } from '../update-policy.js';
import type { AppHandlerDeps, DomainHandlers } from './deps.js';

/** The app's update: what the window shows, and the user's "Restart to update". */
export function updateHandlers(deps: AppHandlerDeps): DomainHandlers<'update:get' | 'update:restart'> {
  return {
    'update:get': async () => {
      const state = deps.updates?.state ?? { kind: 'off' as const };
      return { state: state.kind, ...describeUpdate(state) };
    },
    'update:restart': async () => deps.updates?.restart() ?? false,
  };
}
