import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTrayMenu, type TrayItem } from '../electron/app/tray-menu.js';
import { describeUpdate, UPDATE_CHECK_INTERVAL_MS, UpdatePolicy, type Updater, type UpdateState } from '../electron/app/update-policy.js';
import { updaterPort } from '../electron/app/updater-port.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';
import { debUpdaterFor, startUpdateFeed, type UpdateFeed } from './support/update-feed.js';

let sandbox: Sandbox;
before(async () => (sandbox = await makeSandbox()));
after(() => sandbox.cleanup());

/** The real electron-updater (DebUpdater, as a .deb install uses) at `version`, reading `feed`. */
const realUpdater = async (version: string, feed: UpdateFeed, name: string) => debUpdaterFor(feed, version, await sandbox.dir(name));

async function policyAgainst(current: string, offered: string, options: { damaged?: boolean } = {}) {
  const feed = await startUpdateFeed(offered, options);
  const { updater, app } = await realUpdater(current, feed, `${current}-${offered}-${options.damaged ? 'damaged' : 'ok'}`);
  const states: UpdateState[] = [];
  const installs: string[] = [];
  const port = updaterPort(updater);
  const policy = new UpdatePolicy({
    updater: { ...port, restartToInstall: () => void installs.push('install') },
    enabled: true,
    onChange: (s) => states.push(s),
    every: () => () => undefined,
  });
  return { feed, policy, states, installs, app };
}

const trayLabels = (state: UpdateState) =>
  buildTrayMenu({ accounts: [], signingIn: false, update: state }).flatMap((i: TrayItem) => (i.type === 'separator' ? [] : [i.label]));

describe('app updates against a generic feed on 127.0.0.1 (real electron-updater)', () => {
  it('finds a newer version, downloads and verifies it, and offers a restart without restarting', async () => {
    const { feed, policy, states, installs, app } = await policyAgainst('0.1.0', '0.2.0');
    try {
      await policy.start();
      assert.deepEqual(
        states.map((s) => s.kind),
        ['checking', 'downloading', 'ready'],
      );
      assert.deepEqual(policy.state, { kind: 'ready', version: '0.2.0' });
      assert.deepEqual(feed.requests, ['/latest-linux.yml', `/${feed.fileName}`]);
      assert.equal(installs.length, 0, 'never installs on its own');
      assert.equal(app.quits, 0, 'never quits on its own');
      assert.ok(trayLabels(policy.state).includes('Restart to update to v0.2.0'));
      assert.equal(describeUpdate(policy.state)?.action, 'Restart to update to v0.2.0');
      // A ready update is not fetched again by the daily check.
      await policy.check();
      assert.equal(feed.requests.length, 2);
      assert.equal(policy.restart(), true);
      assert.deepEqual(installs, ['install']);
    } finally {
      await feed.close();
    }
  });

  it('refuses a download whose sha512 does not match the feed, and says so', async () => {
    const { feed, policy, installs } = await policyAgainst('0.1.0', '0.2.0', { damaged: true });
    try {
      await policy.start();
      assert.deepEqual(policy.state, { kind: 'refused', version: '0.2.0', reason: 'damaged' });
      assert.match(describeUpdate(policy.state)!.text, /refused: the download did not match its checksum/);
      assert.ok(trayLabels(policy.state).some((l) => /Update to 0\.2\.0 refused/.test(l)));
      assert.ok(!trayLabels(policy.state).some((l) => /Restart/.test(l)));
      assert.equal(policy.restart(), false);
      assert.equal(installs.length, 0);
    } finally {
      await feed.close();
    }
  });

  it('refuses a feed that offers an older version, and downloads nothing', async () => {
    const { feed, policy } = await policyAgainst('0.3.0', '0.2.0');
    try {
      await policy.start();
      assert.deepEqual(policy.state, { kind: 'refused', version: '0.2.0', reason: 'downgrade' });
      assert.deepEqual(feed.requests, ['/latest-linux.yml']);
      assert.match(describeUpdate(policy.state)!.text, /older than this version/);
    } finally {
      await feed.close();
    }
  });

  it('says up to date when the feed has the running version', async () => {
    const { feed, policy } = await policyAgainst('0.2.0', '0.2.0');
    try {
      await policy.start();
      assert.deepEqual(policy.state, { kind: 'up-to-date', version: '0.2.0' });
      assert.equal(describeUpdate(policy.state), undefined);
    } finally {
      await feed.close();
    }
  });

  it('reports an unreachable feed as a failed check, not as a refusal', async () => {
    const feed = await startUpdateFeed('0.2.0');
    await feed.close(); // its port now refuses connections
    const { updater } = await realUpdater('0.1.0', feed, 'closed');
    updater.removeAllListeners('error');
    updater.on('error', () => undefined);
    const policy = new UpdatePolicy({ updater: updaterPort(updater), enabled: true, every: () => () => undefined });
    await policy.start();
    assert.equal(policy.state.kind, 'failed');
  });
});

describe('update policy', () => {
  const fake = (newest: string, current = '1.0.0'): Updater & { checks: number } => {
    const u = {
      currentVersion: current,
      checks: 0,
      async check() {
        u.checks++;
        return { version: newest, newer: newest > current, older: newest < current };
      },
      async download() {},
      restartToInstall() {},
    };
    return u;
  };

  it('checks at start and once a day, and not at all when the setting is off', async () => {
    const timers: number[] = [];
    let tick = (): void => undefined;
    let stopped = 0;
    const every = (ms: number, run: () => void) => {
      timers.push(ms);
      tick = run;
      return () => void stopped++;
    };
    const updater = fake('1.0.0');
    const policy = new UpdatePolicy({ updater, enabled: true, every });
    await policy.start();
    assert.deepEqual(timers, [UPDATE_CHECK_INTERVAL_MS]);
    assert.equal(updater.checks, 1);
    tick();
    await policy.check();
    assert.equal(updater.checks, 2);
    await policy.setEnabled(false);
    assert.equal(stopped, 1);
    assert.deepEqual(policy.state, { kind: 'off' });
    await policy.check();
    assert.equal(updater.checks, 2, 'no check while off');

    const off = fake('2.0.0');
    const offPolicy = new UpdatePolicy({ updater: off, enabled: false, every });
    await offPolicy.start();
    assert.equal(off.checks, 0);
    assert.deepEqual(
      trayLabels(offPolicy.state).filter((l) => /update/i.test(l)),
      [],
    );
    await offPolicy.setEnabled(true);
    assert.equal(off.checks, 1);
    assert.deepEqual(offPolicy.state, { kind: 'ready', version: '2.0.0' });
  });

  it('joins a check asked for while one runs', async () => {
    const updater = fake('1.0.0');
    const policy = new UpdatePolicy({ updater, enabled: true, every: () => () => undefined });
    await Promise.all([policy.check(), policy.check(), policy.check()]);
    assert.equal(updater.checks, 1);
  });

  it('a build without a feed (not a release build) shows nothing about updates', async () => {
    const updater = { ...fake('1.0.0'), check: async () => null };
    const policy = new UpdatePolicy({ updater, enabled: true, every: () => () => undefined });
    await policy.start();
    assert.deepEqual(policy.state, { kind: 'off' });
    assert.equal(describeUpdate(policy.state), undefined);
  });
});
