/**
 * Where the agent listens, by platform (injected): a Unix socket in a checked folder on Linux and
 * macOS, a named pipe on Windows. In process; the pipe itself is only ever run on Windows.
 */
import assert from 'node:assert/strict';
import { lstatSync } from 'node:fs';
import { join, win32 } from 'node:path';
import { describe, it } from 'node:test';
import { agentLocation, distrust } from '../electron/core/agent/location.js';
import { agentAddress } from '../electron/core/agent/pipe-guard.js';

const PIPE = /^\\\\\.\\pipe\\tokentray-agent-[0-9a-f]{16}$/;

describe('the agent location, by platform', () => {
  it('Linux: $XDG_RUNTIME_DIR/tokentray when set, else TOKENTRAY_HOME/agent; a Unix socket beside the key', () => {
    assert.deepEqual(agentLocation({ XDG_RUNTIME_DIR: '/run/user/1000', TOKENTRAY_HOME: '/h' }, { platform: 'linux' }), {
      dir: '/run/user/1000/tokentray',
      socket: '/run/user/1000/tokentray/agent.sock',
      key: '/run/user/1000/tokentray/agent.key',
      pipe: false,
      guarded: false,
    });
    assert.deepEqual(agentLocation({ TOKENTRAY_HOME: '/h' }, { platform: 'darwin' }), {
      dir: '/h/agent',
      socket: '/h/agent/agent.sock',
      key: '/h/agent/agent.key',
      pipe: false,
      guarded: false,
    });
  });

  it("Windows: a named pipe \\\\.\\pipe\\tokentray-agent-HASH; the key in the home's agent folder; XDG_RUNTIME_DIR means nothing there", () => {
    const home = 'C:\\Users\\ada\\AppData\\Roaming\\TokenTray';
    const where = agentLocation({ TOKENTRAY_HOME: home, XDG_RUNTIME_DIR: '/run/user/1000' }, { platform: 'win32', user: 'CORP\\ada' });
    assert.match(where.socket, PIPE);
    assert.equal(where.pipe, true);
    assert.equal(where.dir, win32.join(home, 'agent'));
    assert.equal(where.key, win32.join(home, 'agent', 'agent.key'));
    // Without TOKENTRAY_HOME: under %APPDATA%, like the rest of TokenTray's data.
    const byAppData = agentLocation({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, { platform: 'win32', user: 'ada' });
    assert.match(byAppData.socket, PIPE);
    assert.ok(byAppData.key.startsWith('C:\\Users\\ada\\AppData\\Roaming'), byAppData.key);
  });

  it('Windows: one pipe per user and TokenTray home (pipes share one namespace), as Windows compares names', () => {
    const home = 'C:\\Users\\ada\\AppData\\Roaming\\TokenTray';
    const pipe = (user: string, h = home) => agentLocation({ TOKENTRAY_HOME: h }, { platform: 'win32', user }).socket;
    assert.equal(pipe('CORP\\ada'), pipe('corp\\ADA'));
    assert.equal(pipe('CORP\\ada', home), pipe('CORP\\ada', home.toUpperCase()));
    const others = [pipe('CORP\\ada'), pipe('CORP\\bob'), pipe('OTHER\\ada'), pipe('CORP\\ada', 'D:\\tokentray-ci')];
    assert.equal(new Set(others).size, others.length, others.join(' '));
    // The user defaults to this process's own.
    assert.match(agentLocation({ TOKENTRAY_HOME: home }, { platform: 'win32' }).socket, PIPE);
  });

  it('guarded where the OS vouches for no peer: Windows always, Unix with TOKENTRAY_AGENT_CHALLENGE=1; the address then comes from the key', () => {
    const key = 'ab'.repeat(32);
    const windows = agentLocation({ TOKENTRAY_HOME: 'C:\\Users\\ada\\AppData\\Roaming\\TokenTray' }, { platform: 'win32', user: 'ada' });
    assert.equal(windows.guarded, true);
    assert.match(agentAddress(windows, key), /^\\\\\.\\pipe\\tokentray-agent-[0-9a-f]{16}-[0-9a-f]{32}$/);
    assert.notEqual(agentAddress(windows, key), agentAddress(windows, 'cd'.repeat(32)));
    const unix = agentLocation({ XDG_RUNTIME_DIR: '/run/user/1000', TOKENTRAY_AGENT_CHALLENGE: '1' }, { platform: 'linux' });
    assert.deepEqual(
      { ...unix, socket: undefined },
      { dir: '/run/user/1000/tokentray', socket: undefined, key: '/run/user/1000/tokentray/agent.key', pipe: false, guarded: true },
    );
    assert.match(agentAddress(unix, key), /^\/run\/user\/1000\/tokentray\/agent-[0-9a-f]{32}\.sock$/);
    for (const other of ['0', 'yes', ''])
      assert.equal(agentLocation({ XDG_RUNTIME_DIR: '/r', TOKENTRAY_AGENT_CHALLENGE: other }, { platform: 'linux' }).guarded, false);
    assert.equal(agentAddress(agentLocation({ XDG_RUNTIME_DIR: '/r' }, { platform: 'darwin' }), key), '/r/tokentray/agent.sock');
  });

  it('without a uid (Windows) only the kind is checked; with one, owner and mode too', () => {
    const dir = lstatSync(process.cwd());
    assert.equal(distrust(dir, 'directory', undefined), undefined);
    assert.match(distrust(dir, 'file', undefined)!, /not a file/);
    assert.match(distrust(dir, 'directory', dir.uid + 1)!, /belongs to uid/);
    assert.equal(agentLocation({ TOKENTRAY_HOME: join('/', 'h') }).pipe, process.platform === 'win32');
  });
});
