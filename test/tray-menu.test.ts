import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccountSummary } from '../electron/app/ipc-contract.js';
import { buildTrayMenu, type TrayItem } from '../electron/app/tray-menu.js';

const account = (id: string, email: string, extra: Partial<AccountSummary> = {}): AccountSummary => ({
  id,
  kind: 'user',
  email,
  subject: `sub-${id}`,
  issuer: 'https://accounts.google.com',
  flavor: 'google',
  scopes: ['openid'],
  default: false,
  status: 'ready',
  impersonate: [],
  ...extra,
});

const labels = (items: TrayItem[]) => items.map((i) => (i.type === 'separator' ? '---' : i.type === 'label' ? `[${i.label}]` : i.label));

describe('tray menu', () => {
  it('lists the default account first, each with its copy actions, then the app entries', () => {
    const items = buildTrayMenu({ accounts: [account('a', 'a@x.com'), account('b', 'b@x.com', { default: true })], signingIn: false });
    assert.deepEqual(labels(items), [
      '[b@x.com (default)]',
      'Copy access token',
      'Copy ID token',
      'Copy Authorization header',
      '---',
      '[a@x.com]',
      'Copy access token',
      'Copy ID token',
      'Copy Authorization header',
      '---',
      'Add account…',
      'Open TokenTray',
      'Open Cloud Console',
      '---',
      'Quit TokenTray',
    ]);
    const actions = items.flatMap((i) => (i.type === 'action' ? [i.action] : []));
    assert.deepEqual(actions.slice(0, 3), [
      { kind: 'copy', accountId: 'b', token: 'access', form: 'raw' },
      { kind: 'copy', accountId: 'b', token: 'id', form: 'raw' },
      { kind: 'copy', accountId: 'b', token: 'access', form: 'header' },
    ]);
    assert.deepEqual(actions.slice(-4), [{ kind: 'add-account' }, { kind: 'open' }, { kind: 'open-console', accountId: 'b' }, { kind: 'quit' }]);
  });

  it('marks accounts that need sign-in and offers only that', () => {
    const items = buildTrayMenu({ accounts: [account('a', 'a@x.com', { default: true, status: 'signin_required' })], signingIn: false });
    assert.deepEqual(labels(items).slice(0, 3), ['[a@x.com: sign in again]', 'Sign in again…', '---']);
    assert.deepEqual(items[1], { type: 'action', label: 'Sign in again…', action: { kind: 'sign-in-again', accountId: 'a' } });
  });

  it('uses the subject when there is no email, and says when there are no accounts', () => {
    assert.equal(labels(buildTrayMenu({ accounts: [account('a', 'x', { email: null, default: true })], signingIn: false }))[0], '[sub-a (default)]');
    assert.deepEqual(labels(buildTrayMenu({ accounts: [], signingIn: false })).slice(0, 3), ['[No accounts yet]', '---', 'Add account…']);
  });

  it('offers service accounts without the audience-less ID token, and impersonation targets', () => {
    const items = buildTrayMenu({
      accounts: [
        account('u', 'u@x.com', { default: true, impersonate: ['deployer@p.iam.gserviceaccount.com', 'relay@p.iam.gserviceaccount.com'] }),
        account('s', 'sa@p.iam.gserviceaccount.com', { kind: 'service_account' }),
      ],
      signingIn: false,
    });
    assert.deepEqual(labels(items).slice(0, 10), [
      '[u@x.com (default)]',
      'Copy access token',
      'Copy ID token',
      'Copy Authorization header',
      'Copy access token as deployer@p.iam.gserviceaccount.com',
      '---',
      '[sa@p.iam.gserviceaccount.com (service account)]',
      'Copy access token',
      'Copy Authorization header',
      '---',
    ]);
    assert.deepEqual(items[4], {
      type: 'action',
      label: 'Copy access token as deployer@p.iam.gserviceaccount.com',
      action: { kind: 'copy', accountId: 'u', token: 'access', form: 'raw', impersonated: true },
    });
  });

  it('disables Add account while a sign-in waits', () => {
    const add = buildTrayMenu({ accounts: [], signingIn: true }).find((i) => i.type === 'action' && i.action.kind === 'add-account');
    assert.deepEqual(add, { type: 'action', label: 'Signing in… (finish in your browser)', action: { kind: 'add-account' }, enabled: false });
  });

  it('offers the Cloud Console as the default account, disabled when there is none', () => {
    const consoleOf = (items: TrayItem[]) => items.find((i) => i.type === 'action' && i.action.kind === 'open-console');
    assert.deepEqual(consoleOf(buildTrayMenu({ accounts: [account('a', 'a@x.com'), account('b', 'b@x.com', { default: true })], signingIn: false })), {
      type: 'action',
      label: 'Open Cloud Console',
      action: { kind: 'open-console', accountId: 'b' },
      enabled: true,
    });
    for (const accounts of [[], [account('a', 'a@x.com')]]) {
      assert.equal(
        (consoleOf(buildTrayMenu({ accounts, signingIn: false })) as { enabled?: boolean }).enabled,
        false,
        `${accounts.length} accounts, none default`,
      );
    }
  });
});
