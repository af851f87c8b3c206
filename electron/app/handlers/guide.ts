import { GUIDE_PAGES } from '../ipc-contract.js';
import type { AppHandlerDeps, DomainHandlers } from './deps.js';

/** The first-run guide's links: only the Cloud Console pages the contract names, in the system browser. */
export function guideHandlers(deps: AppHandlerDeps): DomainHandlers<'guide:open'> {
  return {
    async 'guide:open'(page) {
      await deps.openExternal(GUIDE_PAGES[page]);
      return true;
    },
  };
}
