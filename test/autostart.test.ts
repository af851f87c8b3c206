import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { autostartPath, setXdgAutostart } from '../electron/app/xdg-autostart.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

let sandbox: Sandbox;
before(async () => (sandbox = await makeSandbox()));
after(() => sandbox.cleanup());

async function waitForFile(path: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text?.endsWith('END\n')) return text;
    await sleep(50);
  }
  throw new Error(`${path} was not written`);
}

describe('start at login on Linux (XDG autostart entry)', () => {
  it('writes an entry that GLib launches with exactly the app command and --hidden, and removes it', async () => {
    const configHome = await sandbox.dir('config');
    const env = { XDG_CONFIG_HOME: configHome, HOME: sandbox.root };
    // An app path and an argument with everything the Exec key must quote (GLib refuses a program
    // path with `%` whatever the quoting, so `%` is in the argument only).
    const appDir = await sandbox.dir('Tok en$"`\\App');
    const out = join(sandbox.root, 'argv.txt');
    const app = join(appDir, 'tokentray');
    await writeFile(app, `#!/bin/sh\n{ for a in "$@"; do printf '%s\\n' "$a"; done; echo END; } > '${out}'\n`);
    await chmod(app, 0o700);
    const odd = 'a "b" `c` $HOME \\d 100% \'e\'';
    await mkdir(join(configHome, 'autostart'));
    await writeFile(join(configHome, 'autostart', 'other-app.desktop'), 'keep');

    await setXdgAutostart(true, [app, odd], env);
    const path = autostartPath(env);
    assert.equal(path, join(configHome, 'autostart', 'tokentray.desktop'));
    // GLib's own desktop-entry parser (the one GNOME's autostart uses) reads it and runs the command.
    await promisify(execFile)('gio', ['launch', path], { env: { ...process.env, ...env } });
    assert.equal(await waitForFile(out), `${odd}\n--hidden\nEND\n`);

    await setXdgAutostart(false, [app], env);
    await setXdgAutostart(false, [app], env); // already off: nothing to do
    assert.deepEqual(await readdir(join(configHome, 'autostart')), ['other-app.desktop']);
  });

  it('refuses a command with a line break (it would add keys to the entry) and writes nothing', async () => {
    const configHome = await sandbox.dir('config2');
    await assert.rejects(setXdgAutostart(true, ['/opt/TokenTray/tokentray\nExec=/bin/evil'], { XDG_CONFIG_HOME: configHome }), { code: 'AUTOSTART_FAILED' });
    assert.deepEqual(await readdir(configHome), []);
  });

  it('uses ~/.config when XDG_CONFIG_HOME is unset or not absolute, as the spec says', () => {
    assert.equal(autostartPath({ HOME: '/home/u' }), '/home/u/.config/autostart/tokentray.desktop');
    assert.equal(autostartPath({ HOME: '/home/u', XDG_CONFIG_HOME: 'rel/dir' }), '/home/u/.config/autostart/tokentray.desktop');
  });
});
