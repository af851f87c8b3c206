import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ADD_ACCOUNT_EVENT, type AccountSummary } from '../electron/app/ipc-contract.js';
import { createTrayActions, type TrayActionDeps } from '../electron/app/tray-actions.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';

const account = (id: string, isDefault: boolean): AccountSummary => ({
  id,
  kind: 'user',
  email: `${id}@x.com`,
  subject: `sub-${id}`,
  issuer: 'https://accounts.google.com',
  flavor: 'google',
  scopes: ['openid'],
  default: isDefault,
  status: 'ready',
  impersonate: [],
});

/** The tray's side of the app: every call it makes, and what it told the user. */
function recorder(accounts: AccountSummary[], failWith?: Error) {
  const calls: unknown[][] = [];
  const notes: string[] = [];
  const act =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      if (failWith) throw failWith;
      return true as never;
    };
  const deps: TrayActionDeps = {
    handlers: {
      'accounts:list': async () => accounts,
      'accounts:sign-in': act('accounts:sign-in'),
      'tokens:copy': act('tokens:copy'),
      'accounts:open-console': act('accounts:open-console'),
    },
    window: { show: () => void calls.push(['show']), send: (channel) => void calls.push(['send', channel]) },
    notify: (body) => void notes.push(body),
    restartToUpdate: () => void calls.push(['restart']),
    quit: () => void calls.push(['quit']),
  };
  return { calls, notes, actions: createTrayActions(deps) };
}

const settled = () => new Promise((r) => setImmediate(r));

describe('tray actions', () => {
  it('routes each tray item to its handler or window call', async () => {
    const { calls, actions } = recorder([]);
    actions.onAction({ kind: 'copy', accountId: 'a', token: 'access', form: 'header', impersonated: true });
    actions.onAction({ kind: 'copy', accountId: 'a', token: 'id', form: 'raw' });
    actions.onAction({ kind: 'sign-in-again', accountId: 'a' });
    actions.onAction({ kind: 'open-console', accountId: 'a' });
    actions.onAction({ kind: 'add-account' });
    actions.onAction({ kind: 'open' });
    actions.onAction({ kind: 'restart-to-update' });
    actions.onAction({ kind: 'quit' });
    await settled();
    assert.deepEqual(calls, [
      ['tokens:copy', 'a', 'access', 'header', { impersonated: true }],
      ['tokens:copy', 'a', 'id', 'raw', {}],
      ['accounts:sign-in', { accountId: 'a' }],
      ['accounts:open-console', 'a'],
      ['show'],
      ['send', ADD_ACCOUNT_EVENT],
      ['show'],
      ['restart'],
      ['quit'],
    ]);
  });

  it('says a failure in a notification (there is no window to show it in)', async () => {
    const { notes, actions } = recorder([], new TokenTrayError('CONSOLE_GOOGLE_ONLY', 'x@y is not a Google account, so the Cloud Console does not know it.'));
    actions.onAction({ kind: 'open-console', accountId: 'a' });
    actions.onAction({ kind: 'copy', accountId: 'a', token: 'access', form: 'raw' });
    await settled();
    assert.equal(notes.length, 2);
    assert.match(notes[0], /not a Google account/);
  });

  it("copy-default copies the default account's access token, or says there is none", async () => {
    const some = recorder([account('a', false), account('b', true)]);
    await some.actions.copyDefault();
    assert.deepEqual(some.calls, [['tokens:copy', 'b', 'access', 'raw']]);
    const none = recorder([account('a', false)]);
    await none.actions.copyDefault();
    assert.deepEqual([none.calls, none.notes], [[], ['No account yet: open TokenTray to add one.']]);
  });
});
