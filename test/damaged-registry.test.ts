import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { register } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { BackgroundRefresh, ROUND_SETTLED_CHANNEL } from '../electron/app/background-refresh.js';
import { CHANGED_EVENT } from '../electron/app/ipc-contract.js';
import { APP_ENTRY } from '../electron/app/window-policy.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

type Stub = typeof import('./support/electron-stub/electron.js');
type MenuItem = { label?: string; type?: string; enabled?: boolean; click?: () => void };

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting until ${what}`);
};

describe('background refresh: a failing round', () => {
  it('is logged once per distinct failure, reported once, and its recovery too; it never rejects', async () => {
    const lines: string[] = [];
    let changes = 0;
    let outcome: () => Promise<boolean> = async () => false;
    const refresh = new BackgroundRefresh(
      { round: () => outcome() },
      (l) => lines.push(l),
      () => changes++,
    );
    await refresh.tick();
    assert.deepEqual([lines.length, changes], [0, 0]);
    outcome = async () => {
      throw new TokenTrayError('REGISTRY_CORRUPT', 'The account registry /h/accounts.json is not valid JSON.');
    };
    for (let i = 0; i < 5; i++) await refresh.tick();
    assert.deepEqual(lines, ['background token refresh stopped: REGISTRY_CORRUPT: The account registry /h/accounts.json is not valid JSON.']);
    assert.equal(changes, 1, 'the tray and window are told once');
    outcome = async () => {
      throw new TokenTrayError('REGISTRY_CORRUPT', 'The account registry /h/accounts.json has no version 1 account list.');
    };
    await refresh.tick();
    await refresh.tick();
    assert.equal(lines.length, 2, 'a different failure is logged, once');
    assert.equal(changes, 1);
    outcome = async () => false;
    await refresh.tick();
    await refresh.tick();
    assert.deepEqual(lines.slice(2), ['background token refresh works again']);
    assert.equal(changes, 2);
    assert.equal(refresh.failing, undefined);
  });
});

/**
 * accounts.json damaged while the app runs, with the main process wired to the stand-in electron
 * module: the minute's refresh (setInterval, played with mock timers) fails, is logged once and
 * never escapes as an unhandled rejection; the tray shows "Account list damaged" and "Open
 * TokenTray"; the window is told, and its listAccounts answers the error naming the file; nothing
 * overwrites the file. (The window's rendering of it: test/renderer-e2e.test.ts.)
 */
describe('the app with a damaged accounts.json', () => {
  let stub: Stub;
  let sandbox: Sandbox;
  let file: string;
  const logged: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const originalError = console.error;
  const damaged = '{"version":1,"accounts":[{"id":"a1","ema';
  /** What each settled refresh round left failing (the app's first round, then one a minute). */
  const rounds: Array<string | undefined> = [];
  const onRound = (message: unknown) => void rounds.push((message as { failing: string | undefined }).failing);

  before(async () => {
    sandbox = await makeSandbox();
    file = join(sandbox.home, 'accounts.json');
    await writeFile(file, '{"version":1,"accounts":[]}\n');
    Object.assign(process.env, { TOKENTRAY_HOME: sandbox.env.TOKENTRAY_HOME, TOKENTRAY_KEYCHAIN_SERVICE: sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE });
    process.on('unhandledRejection', onUnhandled);
    subscribe(ROUND_SETTLED_CHANNEL, onRound);
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
    mock.timers.enable({ apis: ['setInterval'] });
    register('./support/electron-stub/hooks.js', import.meta.url);
    stub = (await import('electron')) as unknown as Stub;
    const main = await import('../electron/main/main.js');
    await stub.finishEntryModule();
    await main.started;
  });
  after(async () => {
    mock.timers.reset();
    unsubscribe(ROUND_SETTLED_CHANNEL, onRound);
    console.error = originalError;
    process.off('unhandledRejection', onUnhandled);
    await sandbox.cleanup();
  });

  const tray = () => stub.recorded.trays[0];
  const labels = () => ((tray().menu ?? []) as MenuItem[]).map((m) => m.label ?? '---');
  const win = () => stub.recorded.windows[0];
  const ours = () => ({ sender: win().webContents, senderFrame: { url: APP_ENTRY, parent: null } });
  /** A minute passes, and its refresh round settles: what it logged, it has logged. */
  const minute = async () => {
    const settled = rounds.length + 1;
    mock.timers.tick(60_000);
    await until("the minute's refresh round settled", () => rounds.length >= settled);
  };

  it('starts with an empty, healthy list', async () => {
    await until('the tray menu is built', () => labels().includes('Add account…'));
    await until("the app's first refresh round settled", () => rounds.length === 1);
    assert.deepEqual(rounds, [undefined]);
    assert.deepEqual(labels(), ['No accounts yet', '---', 'Add account…', 'Open TokenTray', 'Open Cloud Console', '---', 'Quit TokenTray']);
  });

  it('logs the failing refresh once, however many minutes pass, and lets no rejection escape', async () => {
    const sentBefore = win().webContents.sent.length;
    await writeFile(file, damaged);
    for (let i = 0; i < 4; i++) await minute();
    assert.equal(rounds.filter((failing) => failing?.startsWith('REGISTRY_CORRUPT')).length, 4, 'four rounds ran, each failing');
    const lines = logged.filter((l) => l.includes('background token refresh'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^TokenTray: background token refresh stopped: REGISTRY_CORRUPT: The account registry .*accounts\.json is not valid JSON/);
    assert.ok(lines[0].includes(file));
    assert.deepEqual(unhandled, []);
    assert.ok(win().webContents.sent.slice(sentBefore).includes(CHANGED_EVENT), 'the window is told to reload its list');
  });

  it('shows a disabled "Account list damaged" entry and "Open TokenTray" in the tray', async () => {
    await until('the tray shows the damage', () => labels()[0] === 'Account list damaged');
    const menu = tray().menu as MenuItem[];
    assert.deepEqual(labels(), ['Account list damaged', '---', 'Open TokenTray', '---', 'Quit TokenTray']);
    assert.equal(menu[0].enabled, false);
    assert.equal(menu[0].click, undefined);
    win().hide();
    menu.find((m) => m.label === 'Open TokenTray')!.click!();
    assert.equal(win().visible, true, 'Open TokenTray shows the window');
  });

  it("answers the window's listAccounts with the error naming the file", async () => {
    const answer = (await stub.recorded.ipcHandlers['accounts:list'](ours())) as { ok: boolean; code: string; message: string };
    assert.equal(answer.ok, false);
    assert.equal(answer.code, 'REGISTRY_CORRUPT');
    assert.ok(answer.message.includes(file), answer.message);
  });

  it('overwrites nothing, whatever is asked', async () => {
    for (const [channel, args] of [
      ['accounts:set-default', ['a1']],
      ['accounts:remove', ['a1']],
      ['settings:set', [{ clipboardClearSeconds: 5 }]],
    ] as const) {
      await stub.recorded.ipcHandlers[channel](ours(), ...args);
    }
    await minute();
    assert.ok(rounds.at(-1)?.startsWith('REGISTRY_CORRUPT'), 'the round after them found it still damaged');
    assert.equal(await readFile(file, 'utf8'), damaged);
  });

  it('recovers once the file is repaired: logged, and the tray lists accounts again', async () => {
    await rm(file);
    await minute();
    assert.equal(rounds.at(-1), undefined, 'the round works again');
    assert.ok(
      logged.some((l) => l.includes('works again')),
      'and says so',
    );
    await until('the tray is healthy again', () => labels()[0] === 'No accounts yet');
    assert.deepEqual(unhandled, []);
  });
});
