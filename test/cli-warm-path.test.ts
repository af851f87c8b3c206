/**
 * What the shipped CLI loads on its warm path (a cached token), in whole processes of the bundle:
 * every module a call loads costs each kubectl request its load time, so this suite fails when a
 * warm call loads one it does not need. Not a timing test (`npm run bench` times it): a preload
 * writes Node's list of built-ins and the require cache at exit, and the lists are checked.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveAgent, type RunningAgent } from '../electron/core/agent/agent.js';
import { displaySafe, hasHiddenCharacters, terminalSafe } from '../electron/core/shared/sanitize.js';
import { expireCache, signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { CLI, runCli } from './support/sandbox.js';

/** Built-ins a warm call has no use for: hashing and random bytes (writes, sign-ins), the network, children. */
const NEEDLESS_BUILTINS = ['crypto', 'http', 'https', 'tls', 'http2', 'zlib', 'child_process', 'worker_threads'];
/** Bundle chunks (name-HASH.cjs) of what a warm call does not do: refresh, sign in or out, impersonate, federate. */
const NEEDLESS_CHUNK =
  /^(oidc|sign-out|login|google-http|sts|impersonation|service-account|external-account-file|federation-import|subject-token|file-secret-store|vault-passphrase|webapi|jwe_algorithms)-[\w-]{8}\.cjs$/;
/** npm packages of the cold path. */
const NEEDLESS_PACKAGE = /[/\\]node_modules[/\\](openid-client|jose|undici|oauth4webapi)[/\\]/;

// require.cache, not node:module's: the preload itself must load nothing the call did not.
const PRELOAD = `process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_TO, JSON.stringify({
  files: Object.keys(require.cache),
  builtins: process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)),
})));`;

interface Loaded {
  files: string[];
  builtins: string[];
}

describe('the CLI warm path loads only what it needs (shipped bundle, whole processes)', () => {
  const fixture = useIdpAndSandbox();
  let preload: string;
  let env: Record<string, string>;

  before(async () => {
    const { sandbox, idp } = fixture;
    await signInThroughCore(sandbox.core(), idp, 'warm@example.test');
    preload = await fixture.sandbox.writeFile('loaded.cjs', PRELOAD);
    // Without the sandbox's NODE_OPTIONS: its keychain preload would load keytar (and the ES loader) itself.
    const { NODE_OPTIONS: _, ...rest } = sandbox.env;
    env = { ...rest, LOADED_TO: `${sandbox.root}/files/loaded.json` };
    delete env.XDG_RUNTIME_DIR; // the agent's folder: under this sandbox's home, where none runs
  });

  async function loadedBy(args: string[], extraEnv: Record<string, string> = {}): Promise<Loaded & { stdout: string }> {
    const res = await runCli(args, { ...env, ...extraEnv }, [process.execPath, '-r', preload, CLI]);
    assert.equal(res.code, 0, res.stderr);
    const loaded = JSON.parse(await readFile(env.LOADED_TO, 'utf8')) as Loaded;
    await rm(env.LOADED_TO);
    return { ...loaded, stdout: res.stdout };
  }

  function needless(loaded: Loaded): string[] {
    return [
      ...loaded.builtins.filter((b) => NEEDLESS_BUILTINS.includes(b)).map((b) => `node:${b}`),
      ...loaded.files.filter((f) => NEEDLESS_CHUNK.test(basename(f)) || NEEDLESS_PACKAGE.test(f)),
    ];
  }

  for (const command of ['print-access-token', 'kube-credential']) {
    it(`${command} without an agent: the CLI proper and keytar, nothing of the cold path, no agent client`, async () => {
      const loaded = await loadedBy([command]);
      assert.ok(loaded.stdout.length > 0);
      const names = loaded.files.map((f) => basename(f));
      // The preload saw the call: the CLI proper ran and read the keychain.
      assert.ok(names.includes('cli-main.cjs') && names.includes('keytar.node'), names.join(' '));
      assert.deepEqual(needless(loaded), []);
      // The fast path found no agent: the CLI proper does not load the client to look again.
      assert.deepEqual(
        names.filter((n) => /^(client|protocol)-[\w-]{8}\.cjs$/.test(n)),
        [],
      );
      assert.ok(!loaded.builtins.includes('net'), 'node:net without an agent to connect to');
    });
  }

  it('a refresh (the cold path) takes openid-client from the bundle, not from node_modules', async () => {
    // Those packages are ES modules only: required from node_modules, Node's ES module loader
    // parses and links them on every call (~40 ms of CPU; jose's ~65 ms for the file vault).
    const { sandbox } = fixture;
    const [account] = await sandbox.core().accounts.list();
    await expireCache(sandbox.core(), account.id);
    const loaded = await loadedBy(['print-access-token']);
    assert.ok(loaded.stdout.length > 0);
    assert.ok(
      loaded.files.some((f) => /^oidc-[\w-]{8}\.cjs$/.test(basename(f))),
      'the refresh loaded the bundled client',
    );
    assert.deepEqual(
      loaded.files.filter((f) => NEEDLESS_PACKAGE.test(f)),
      [],
    );
  });

  describe('with an agent running', () => {
    let agent: RunningAgent;
    let runtime: string;
    before(async () => {
      runtime = await mkdtemp('/tmp/ttw-'); // a socket path fits in 108 bytes, whatever TMPDIR is
      env.XDG_RUNTIME_DIR = runtime;
      agent = await serveAgent({ core: fixture.sandbox.core(), env, store: 'system', servedBy: 'agent' });
    });
    after(async () => {
      await agent.stop();
      delete env.XDG_RUNTIME_DIR;
      await rm(runtime, { recursive: true, force: true });
    });

    /** A bare Node's built-ins once it has required node:net: all an agent-answered call may load. */
    async function netAlone(): Promise<string[]> {
      const script = await fixture.sandbox.writeFile('net-alone.cjs', "require('node:net');");
      const res = await runCli([], env, [process.execPath, '-r', preload, script]);
      assert.equal(res.code, 0, res.stderr);
      const { builtins } = JSON.parse(await readFile(env.LOADED_TO, 'utf8')) as Loaded;
      await rm(env.LOADED_TO);
      return builtins;
    }

    for (const command of ['print-access-token', 'kube-credential']) {
      it(`${command}: the small entry alone answers (no CLI proper, no keytar), with no built-in beyond node:net's`, async () => {
        const loaded = await loadedBy([command], { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' });
        const baseline = await netAlone();
        // node:module (and the ES module loader it starts), node:os, node:crypto: none of them.
        assert.deepEqual(
          loaded.builtins.filter((b) => !baseline.includes(b)),
          [],
        );
        assert.ok(loaded.stdout.length > 0);
        assert.deepEqual(
          loaded.files.map((f) => basename(f)).filter((n) => n !== 'loaded.cjs'),
          ['tokentray.cjs'],
        );
        assert.deepEqual(needless(loaded), []);
        // node:os only for homedir() without $HOME (and the Windows pipe's user name).
        assert.ok(!loaded.builtins.includes('os'), 'node:os with $HOME set');
      });
    }

    it('once the answer is printed the process ends: stderr is never set up (to a file, its stream is a built-in of its own)', async () => {
      const errors = await open(`${fixture.sandbox.root}/files/stderr.txt`, 'w', 0o600);
      try {
        const child = spawn(process.execPath, ['-r', preload, CLI, 'print-access-token'], {
          env: { ...env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' },
          stdio: ['ignore', 'pipe', errors.fd],
        });
        let stdout = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        assert.equal(await new Promise((done) => child.on('close', done)), 0);
        assert.ok(stdout.length > 0);
      } finally {
        await errors.close();
      }
      const loaded = JSON.parse(await readFile(env.LOADED_TO, 'utf8')) as Loaded;
      await rm(env.LOADED_TO);
      assert.ok(!loaded.builtins.includes('internal/fs/sync_write_stream'), 'process.stderr was set up');
    });
  });
});

describe("the sanitizers' visible-ASCII shortcut (which spares a warm call the Unicode tables)", () => {
  it('answers exactly as the Unicode classes do, for every UTF-16 unit in and around plain text', () => {
    const hidden = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}';
    const escape = (c: string) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
    const reference = {
      has: (t: string) => new RegExp(`[${hidden}]`, 'u').test(t),
      terminal: (t: string) => t.replace(new RegExp(`(?![\\n\\t])[${hidden}]`, 'gu'), escape),
      display: (t: string) => t.replace(new RegExp(`[${hidden}]`, 'gu'), escape),
    };
    for (let unit = 0; unit <= 0xffff; unit++) {
      for (const text of [String.fromCharCode(unit), `ya29.a-b_c${String.fromCharCode(unit)}\n`]) {
        assert.equal(hasHiddenCharacters(text), reference.has(text), `U+${unit.toString(16)}`);
        assert.equal(terminalSafe(text), reference.terminal(text), `U+${unit.toString(16)}`);
        assert.equal(displaySafe(text), reference.display(text), `U+${unit.toString(16)}`);
      }
    }
  });
});
