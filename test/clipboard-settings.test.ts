import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ClipboardGuard } from '../electron/app/clipboard-guard.js';
import { SettingsStore, validateSettings } from '../electron/core/storage/settings-store.js';
import { formatToken } from '../electron/core/tokens/token-forms.js';
import { RecordingClipboard } from './support/renderer-harness.js';

function fakeTimers() {
  const pending = new Map<number, () => void>();
  let next = 1;
  return {
    timers: { setTimeout: (fn: () => void) => (pending.set(next, fn), next++), clearTimeout: (h: unknown) => void pending.delete(h as number) },
    fire() {
      const fns = [...pending.values()];
      pending.clear();
      fns.forEach((fn) => fn());
    },
    get count() {
      return pending.size;
    },
  };
}

/** Electron 44+ answers clipboard calls with Promises; this one also settles them out of order. */
class AsyncClipboard {
  text = '';
  writes: string[] = [];
  async readText(): Promise<string> {
    await new Promise((r) => setImmediate(r));
    return this.text;
  }
  async writeText(text: string): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.text = text;
    this.writes.push(text);
  }
}

const settle = () => new Promise((r) => setImmediate(r));

describe('clipboard auto-clear', () => {
  it('clears only what it put there, after the configured delay', async () => {
    const clip = new RecordingClipboard();
    const t = fakeTimers();
    const guard = new ClipboardGuard(clip, () => 30, t.timers);
    await guard.copy('token-1');
    assert.equal(clip.text, 'token-1');
    t.fire();
    await settle();
    assert.equal(clip.text, '', 'cleared');
    await guard.copy('token-2');
    clip.text = 'something the user copied';
    t.fire();
    await settle();
    assert.equal(clip.text, 'something the user copied', "never wipes the user's own copy");
  });

  it('keeps one timer per latest copy, and none when off', async () => {
    const clip = new RecordingClipboard();
    const t = fakeTimers();
    let seconds = 10;
    const guard = new ClipboardGuard(clip, () => seconds, t.timers);
    await Promise.all([guard.copy('a'), guard.copy('b')]);
    assert.equal(t.count, 1);
    seconds = 0;
    await guard.copy('c');
    assert.equal(t.count, 0);
    t.fire();
    await settle();
    assert.equal(clip.text, 'c');
  });

  it('works with a clipboard that answers with Promises (Electron 44 and later)', async () => {
    const clip = new AsyncClipboard();
    const t = fakeTimers();
    const guard = new ClipboardGuard(clip, () => 5, t.timers);
    const copying = guard.copy('token-1');
    assert.equal(clip.text, '', 'not yet written');
    await copying;
    assert.equal(clip.text, 'token-1', 'copy() resolves once the text is on the clipboard');
    assert.equal(t.count, 1);
    t.fire();
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(clip.text, '', 'cleared after the delay');
    // Two overlapping copies: only the latest arms a timer, and the older one's clear does nothing.
    await Promise.all([guard.copy('old'), guard.copy('new')]);
    assert.equal(clip.text, 'new');
    assert.equal(t.count, 1);
    clip.text = 'user';
    t.fire();
    for (let i = 0; i < 5; i++) await settle();
    assert.equal(clip.text, 'user');
  });
});

describe('settings', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('validates every field', () => {
    assert.deepEqual(validateSettings({ clipboardClearSeconds: 45, globalShortcut: 'CommandOrControl+Shift+T' }), {
      clipboardClearSeconds: 45,
      globalShortcut: 'CommandOrControl+Shift+T',
    });
    assert.deepEqual(validateSettings({ globalShortcut: '' }), { globalShortcut: '' });
    assert.deepEqual(validateSettings({ checkForUpdates: false, startAtLogin: true }), { checkForUpdates: false, startAtLogin: true });
    for (const bad of [
      null,
      [],
      'x',
      { clipboardClearSeconds: -1 },
      { clipboardClearSeconds: 1.5 },
      { clipboardClearSeconds: 4000 },
      { clipboardClearSeconds: '5' },
      { globalShortcut: 'T' },
      { globalShortcut: 'Ctrl+' },
      { globalShortcut: 5 },
      { checkForUpdates: 'yes' },
      { startAtLogin: 1 },
      { other: 1 },
    ]) {
      assert.throws(() => validateSettings(bad), { code: 'SETTINGS_INVALID' }, JSON.stringify(bad));
    }
  });

  it('persists settings and moves a damaged file aside instead of overwriting it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'tokentray-settings-'));
    dirs.push(home);
    const store = new SettingsStore(home);
    // Defaults: a copied token is cleared after 45 s (a safe non-zero time), updates on, no start at login.
    const defaults = { clipboardClearSeconds: 45, globalShortcut: '', checkForUpdates: true, startAtLogin: false };
    assert.deepEqual(await store.load(), defaults);
    await store.update({ clipboardClearSeconds: 20 });
    assert.deepEqual(await new SettingsStore(home).load(), { ...defaults, clipboardClearSeconds: 20 });
    await writeFile(store.path, '{broken');
    const again = new SettingsStore(home);
    assert.deepEqual(await again.load(), defaults);
    await again.update({ globalShortcut: 'Alt+F5' });
    assert.equal(await readFile(`${store.path}.damaged`, 'utf8'), '{broken');
    assert.deepEqual((await readdir(home)).sort(), ['settings.json', 'settings.json.damaged']);
  });
});

describe('token forms', () => {
  it('formats raw, header and curl', () => {
    assert.equal(formatToken('T', 'raw', 'access', 'google'), 'T');
    assert.equal(formatToken('T', 'header', 'id', 'oidc'), 'Authorization: Bearer T');
    assert.equal(formatToken('T', 'curl', 'access', 'google'), 'curl -H "Authorization: Bearer T" https://openidconnect.googleapis.com/v1/userinfo');
    assert.equal(formatToken('T', 'curl', 'id', 'google'), 'curl -H "Authorization: Bearer T" https://YOUR-SERVICE-URL');
    // A quota project rides along with access tokens (Copy header, Copy curl), not with ID tokens.
    assert.equal(formatToken('T', 'header', 'access', 'google', 'proj-q1'), 'Authorization: Bearer T\nx-goog-user-project: proj-q1');
    assert.equal(
      formatToken('T', 'curl', 'access', 'google', 'proj-q1'),
      'curl -H "Authorization: Bearer T" -H "x-goog-user-project: proj-q1" https://openidconnect.googleapis.com/v1/userinfo',
    );
    assert.equal(formatToken('T', 'curl', 'id', 'google', 'proj-q1'), 'curl -H "Authorization: Bearer T" https://YOUR-SERVICE-URL');
    assert.equal(formatToken('T', 'raw', 'access', 'google', 'proj-q1'), 'T');
  });
});
