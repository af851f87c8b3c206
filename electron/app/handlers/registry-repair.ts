import type { AppHandlerDeps, DomainHandlers } from './deps.js';

/** What the window offers on a damaged account list: open its folder, or keep a copy and start fresh. */
export function registryRepairHandlers(deps: AppHandlerDeps): DomainHandlers<'accounts:open-folder' | 'accounts:start-fresh'> {
  return {
    'accounts:open-folder': async () => {
      await deps.openFolder?.(deps.core.home);
      return deps.core.home;
    },
    'accounts:start-fresh': async () => {
      const copy = await deps.core.accounts.setAsideDamagedRegistry();
      if (!copy) return null;
      deps.onChange();
      return copy;
    },
  };
}
