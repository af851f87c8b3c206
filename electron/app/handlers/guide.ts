import { consoleUrl } from '../../core/google/console-url.js';
import { projectOf } from '../../core/accounts/account-service.js';
import { GUIDE_PAGES } from '../ipc-contract.js';
import type { AppHandlerDeps, DomainHandlers } from './deps.js';

/**
 * Links out, in the system browser: the first-run guide's Cloud Console pages the contract names,
 * and the Console as an account (the same address `tokentray console` opens).
 */
export function guideHandlers(deps: AppHandlerDeps): DomainHandlers<'guide:open' | 'accounts:open-console'> {
  return {
    async 'guide:open'(page) {
      await deps.openExternal(GUIDE_PAGES[page]);
      return true;
    },
    async 'accounts:open-console'(id) {
      const account = await deps.core.accounts.resolve(id);
      const project = projectOf(account);
      await deps.openExternal(consoleUrl(account, project ? { project } : {}));
      return true;
    },
  };
}
