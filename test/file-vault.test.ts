import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt } from 'jose';
import { after, before, describe, it } from 'node:test';
import { expireCache } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { browseElsewhere, googleLoginFlags } from './support/paste-back.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { noteSecret } from './support/canary.js';
import { memoizePbkdf2 } from './support/pbkdf2-memo.js';
import { CLI, findSecretsOnDisk, makeSandbox, runCli, runCliInProcess, startCli } from './support/sandbox.js';
import { createCore } from '../electron/core/core.js';
import { FileSecretStore } from '../electron/core/storage/file-secret-store.js';
import { VAULT_ITERATIONS } from '../electron/core/storage/vault-key.js';
import { passphraseWeakness, vaultPassphrase } from '../electron/core/storage/vault-passphrase.js';

/** A remote machine: no D-Bus session (so no Secret Service), no display. */
function withoutDesktop(env: Record<string, string>): void {
  delete env.DBUS_SESSION_BUS_ADDRESS;
  // libdbus also finds a session bus at $XDG_RUNTIME_DIR/bus, where test/with-keychain.sh puts it.
  delete env.XDG_RUNTIME_DIR;
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
}

const vaultPath = (home: string) => join(home, 'vault.jwe');

/**
 * This process opens vault bytes whose key it derived already (it wrote or read them): those
 * PBKDF2 derivations (~70 ms of CPU each) are remembered, a pure function of the passphrase, salt
 * and count. A wrong passphrase or a new vault (a new salt) is derived as before.
 */
const pbkdf2 = memoizePbkdf2();
after(() => {
  pbkdf2.restore();
  console.log(`# PBKDF2 derivations in this process: ${pbkdf2.counts.derived} made, ${pbkdf2.counts.remembered} remembered`);
});

/** `tokentray ARGS` on a real pseudo-terminal (through `script`), as in a user's shell. */
function startInTerminal(args: string[], env: Record<string, string>) {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  void exit.then(() => child.stdin.end());
  return {
    output: () => out,
    type: (text: string) => child.stdin.write(text),
    exit,
    async waitFor(pattern: RegExp): Promise<RegExpExecArray> {
      for (let i = 0; i < 1500; i++) {
        const m = pattern.exec(out);
        if (m) return m;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`the terminal never showed ${pattern}:\n${out}`);
    },
  };
}

describe('the encrypted-file vault (TOKENTRAY_KEYCHAIN=file), with no D-Bus at all', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  let sim: GoogleSim;
  const passphrase = `vault-pass-${randomBytes(12).toString('hex')}`;
  const printed: string[] = [];

  before(async () => {
    withoutDesktop(fx.sandbox.env);
    fx.sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
    fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE = passphrase;
    noteSecret(passphrase); // the output canary: no command may print it
    sim = await startGoogleSim(fx.idp);
    fx.sandbox.env.TOKENTRAY_GOOGLE_TOKENINFO_URL = `${sim.origin}/tokeninfo`;
  });
  after(async () => {
    await sim?.close();
  });

  const cli = (...args: string[]) => runCli(args, fx.sandbox.env);
  /** The same command in this process: for logic, where no process property is checked. */
  const inProcess = (...args: string[]) => runCliInProcess(args, fx.sandbox.env);
  const flags = () => googleLoginFlags(fx.idp);

  /** Paste-back, as on a remote machine: the browser elsewhere stops at the redirect to 127.0.0.1. */
  async function pasteBackLogin(user: string, extra: string[]): Promise<void> {
    const proc = startCli(['login', ...extra, '--login-hint', user, '--timeout', '60'], fx.sandbox.env, { stdin: 'pipe' });
    const url = await proc.authorizationUrl;
    assert.match(proc.errors(), /^Could not open a browser here: no graphical display/m);
    const { pasted } = await browseElsewhere(url, user);
    proc.stdin!.write(`${pasted.href}\n`);
    const res = await proc.done;
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `${user}\n`);
  }

  it('signs two accounts in through paste-back; the vault is one 0600 JWE file', async () => {
    await pasteBackLogin('vera@example.test', flags());
    await pasteBackLogin('walt@example.test', []);
    const list = JSON.parse((await inProcess('accounts', '--json')).stdout) as Array<{ email: string; status: string }>;
    assert.deepEqual(
      list.map((a) => [a.email, a.status]),
      [
        ['vera@example.test', 'ready'],
        ['walt@example.test', 'ready'],
      ],
    );
    const info = await stat(vaultPath(fx.sandbox.home));
    assert.equal(info.mode & 0o777, 0o600);
    const text = await readFile(vaultPath(fx.sandbox.home), 'utf8');
    assert.match(text, /^[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+\n$/, 'compact JWE');
    const header = JSON.parse(Buffer.from(text.split('.')[0], 'base64url').toString()) as { alg: string; enc: string; 'tt-kdf': Record<string, unknown> };
    assert.deepEqual([header.alg, header.enc, header['tt-kdf'].alg, header['tt-kdf'].iterations], ['A256KW', 'A256GCM', 'PBKDF2-SHA512', VAULT_ITERATIONS]);
    assert.equal(Buffer.from(header['tt-kdf'].salt as string, 'base64url').length, 16);
    assert.deepEqual((await readdir(fx.sandbox.home)).filter((f) => f !== 'locks').sort(), ['accounts.json', 'vault.jwe']);
  });

  it('reuses a cached token across processes, without the issuer', async () => {
    const before = { ...fx.idp.grants };
    const a = await cli('print-access-token');
    const b = await cli('print-access-token');
    assert.equal(a.code, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
    assert.deepEqual(fx.idp.grants, before);
    const walt = await cli('print-identity-token', '--account', 'walt@example.test');
    assert.equal(walt.code, 0, walt.stderr);
    printed.push(a.stdout.trim(), walt.stdout.trim());
  });

  it('refreshes an expired cache from processes running at once, losing no item', async () => {
    const core = fx.sandbox.core();
    const accounts = await core.accounts.list();
    for (const a of accounts) await expireCache(core, a.id);
    const runs = await Promise.all(accounts.flatMap((a) => [1, 2, 3].map(() => cli('print-access-token', '--account', a.id))));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    for (const a of accounts) {
      assert.ok((await core.accounts['vault'].getSecrets(a.id))?.refreshToken, 'the refresh token survived the concurrent writes');
      assert.ok((await core.accounts['vault'].getTokenCache(a.id)).access[''], 'and so did the cache');
    }
  });

  it('imports a service account and mints its tokens from the vault', async () => {
    const key = await makeServiceAccountKey(sim, 'robot@proj-vault.iam.gserviceaccount.com');
    const dir = join(fx.sandbox.home, 'test-input');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'sa.json');
    await writeFile(file, JSON.stringify(key.json), { mode: 0o600 });
    const res = await inProcess('import-service-account', file);
    assert.equal(res.code, 0, res.stderr);
    const token = await inProcess('print-access-token', '--account', 'robot@proj-vault.iam.gserviceaccount.com');
    assert.equal(token.code, 0, token.stderr);
    printed.push(token.stdout.trim());
    const vault = await readFile(vaultPath(fx.sandbox.home), 'utf8');
    for (const line of String(key.json.private_key)
      .split('\n')
      .filter((l) => l.length > 40))
      assert.ok(!vault.includes(line));
    await writeFile(file, '{}'); // the test's own copy of the key is not left behind
  });

  it('keeps no token, key, secret or the passphrase in plain text in any file', async () => {
    const core = fx.sandbox.core();
    const secrets = [...printed, passphrase, fx.idp.client.clientSecret];
    for (const a of await core.accounts.list()) {
      const s = await core.accounts['vault'].getSecrets(a.id);
      if (s) secrets.push(s.refreshToken);
    }
    assert.ok(secrets.length >= 7);
    assert.deepEqual(await findSecretsOnDisk(fx.sandbox, secrets), []);
  });

  it('a wrong passphrase: VAULT_PASSPHRASE_WRONG, exit 1, the file byte for byte as it was', async () => {
    const path = vaultPath(fx.sandbox.home);
    const before = await readFile(path);
    const env = { ...fx.sandbox.env, TOKENTRAY_FILE_PASSPHRASE: 'not-the-passphrase' };
    // Refusals are logic: in this process (the real bin's exit code is the damaged-file test's last run).
    for (const args of [['print-access-token'], ['logout', 'walt@example.test', '--no-revoke'], ['login', '--no-browser']]) {
      const res = await runCliInProcess(args, env);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr, /^tokentray: VAULT_PASSPHRASE_WRONG: The passphrase does not open the file vault .*vault\.jwe/m);
      assert.doesNotMatch(res.stderr, /^https?:/m, 'found before any browser step');
    }
    assert.deepEqual(await readFile(path), before);
  });

  it('no passphrase and no terminal: a coded error that says how to give one', async () => {
    const env = { ...fx.sandbox.env };
    delete env.TOKENTRAY_FILE_PASSPHRASE;
    // A process: whether there is a terminal is a property of its standard input.
    const res = await runCli(['print-access-token'], env);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /^tokentray: VAULT_PASSPHRASE_REQUIRED: The file vault .* needs its passphrase, and there is no terminal to ask it on\. Set TOKENTRAY_FILE_PASSPHRASE/m,
    );
  });

  it('a damaged file: VAULT_DAMAGED, kept as it is', async () => {
    const path = vaultPath(fx.sandbox.home);
    const good = await readFile(path, 'utf8');
    const parts = good.trim().split('.');
    const damages = [
      good.slice(0, good.length / 2),
      'not a vault at all\n',
      '',
      `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]}\n`,
      `${Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM' })).toString('base64url')}.${parts.slice(1).join('.')}\n`,
      `${Buffer.from(JSON.stringify({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', p2c: 1e9, p2s: 'AAAAAAAAAAAAAAAAAAAAAA' })).toString('base64url')}.${parts.slice(1).join('.')}\n`,
      `${Buffer.from(JSON.stringify({ alg: 'A256KW', enc: 'A256GCM', 'tt-kdf': { alg: 'PBKDF2-SHA512', salt: 'AAAAAAAAAAAAAAAAAAAAAA', iterations: 1e9 } })).toString('base64url')}.${parts.slice(1).join('.')}\n`,
    ];
    try {
      for (const content of damages) {
        await writeFile(path, content);
        for (const args of [['print-access-token'], ['logout', 'vera@example.test', '--no-revoke']]) {
          const res = await runCliInProcess(args, fx.sandbox.env);
          assert.equal(res.code, 1, `${args.join(' ')} on ${JSON.stringify(content.slice(0, 30))}`);
          assert.match(res.stderr, /^tokentray: VAULT_DAMAGED: The file vault .*vault\.jwe cannot be read \(.*\)\. TokenTray keeps it as it is/m);
        }
        assert.equal(await readFile(path, 'utf8'), content, 'kept');
      }
      // An altered ciphertext cannot be told from a wrong passphrase (AES key wrap): still refused, still kept.
      const flipped = `${parts.slice(0, 3).join('.')}.${parts[3].startsWith('A') ? `B${parts[3].slice(1)}` : `A${parts[3].slice(1)}`}.${parts[4]}\n`;
      await writeFile(path, flipped);
      const res = await cli('print-access-token');
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: VAULT_PASSPHRASE_WRONG: .*or the file was altered/m);
      assert.equal(await readFile(path, 'utf8'), flipped);
    } finally {
      await writeFile(path, good);
    }
    assert.equal((await inProcess('print-access-token')).code, 0);
  });

  it("logout revokes and removes the account's items from the vault", async () => {
    const core = fx.sandbox.core();
    const walt = (await core.accounts.list()).find((a) => a.email === 'walt@example.test')!;
    const refresh = (await core.accounts['vault'].getSecrets(walt.id))!.refreshToken;
    const res = await inProcess('logout', 'walt@example.test');
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await fx.idp.introspect(refresh)).active, false);
    assert.equal(await core.accounts['vault'].getSecrets(walt.id), undefined);
    assert.deepEqual(
      (await core.accounts.list()).map((a) => a.email),
      ['vera@example.test', 'robot@proj-vault.iam.gserviceaccount.com'],
    );
  });

  it('TOKENTRAY_KEYCHAIN=system without D-Bus: KEYCHAIN_UNAVAILABLE names the file vault option', async () => {
    const env = { ...fx.sandbox.env, TOKENTRAY_KEYCHAIN: 'system' };
    const res = await runCli(['print-access-token'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: KEYCHAIN_UNAVAILABLE: .*TOKENTRAY_KEYCHAIN=file \(see docs\/remote\.md\)/m);
    const bad = await runCliInProcess(['print-access-token'], { ...fx.sandbox.env, TOKENTRAY_KEYCHAIN: 'plaintext' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tokentray: KEYCHAIN_CHOICE_INVALID: TOKENTRAY_KEYCHAIN says keychain "plaintext"; it takes "system" .* or "file"/m);
  });
});

describe('the file vault chosen in config.json, and asked for on a terminal', () => {
  it('uses {"keychain":"file"} from TOKENTRAY_HOME/config.json; refuses a bad value', async () => {
    const sandbox = await makeSandbox();
    try {
      withoutDesktop(sandbox.env);
      sandbox.env.TOKENTRAY_FILE_PASSPHRASE = 'config-chosen-passphrase';
      await writeFile(join(sandbox.home, 'config.json'), '{"keychain": "file"}\n');
      // The core as the CLI builds it: the store is chosen from config.json, not given.
      const core = () => createCore({ env: sandbox.env });
      await core().accounts['vault'].setSecrets('abc', { refreshToken: 'rt-config-file-0123456789' });
      assert.equal((await core().accounts['vault'].getSecrets('abc'))?.refreshToken, 'rt-config-file-0123456789');
      assert.ok((await stat(vaultPath(sandbox.home))).isFile());
      await writeFile(join(sandbox.home, 'config.json'), '{"keychain": "plain"}\n');
      await assert.rejects(core().accounts['vault'].getSecrets('abc'), { code: 'KEYCHAIN_CHOICE_INVALID' });
      await writeFile(join(sandbox.home, 'config.json'), '{"keychain": "file"}\n');
    } finally {
      await sandbox.cleanup();
    }
  });

  it("writers in parallel processes lose none of each other's items", async () => {
    const sandbox = await makeSandbox();
    try {
      const path = vaultPath(sandbox.home);
      const module = new URL('../electron/core/storage/file-secret-store.js', import.meta.url).href;
      const writer = (i: number) =>
        new Promise<number | null>((resolve) => {
          const code = `const { FileSecretStore } = await import(${JSON.stringify(module)});
            const s = new FileSecretStore(${JSON.stringify(path)}, { existing: async () => 'parallel-pass', create: async () => 'parallel-pass' });
            for (let j = 0; j < 3; j++) await s.set('k${i}-' + j, 'v${i}-' + j);`;
          spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: 'inherit' }).on('exit', resolve);
        });
      const codes = await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
      assert.deepEqual(codes, [0, 0, 0, 0, 0, 0]);
      const store = new FileSecretStore(path, { existing: async () => 'parallel-pass', create: async () => 'parallel-pass' });
      for (let i = 0; i < 6; i++) for (let j = 0; j < 3; j++) assert.equal(await store.get(`k${i}-${j}`), `v${i}-${j}`);
      const leftovers = (await readdir(sandbox.home)).filter((f) => f !== 'vault.jwe' && f !== 'locks');
      assert.deepEqual(leftovers, [], 'no temp or lock file left behind');
    } finally {
      await sandbox.cleanup();
    }
  });

  it('asks on the terminal without echo, twice for a new vault, and refuses two different answers', async () => {
    const sandbox = await makeSandbox();
    try {
      withoutDesktop(sandbox.env);
      sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
      delete sandbox.env.TOKENTRAY_FILE_PASSPHRASE;
      const dir = join(sandbox.home, 'test-input');
      await mkdir(dir);
      const sim = await startGoogleSim();
      try {
        const key = await makeServiceAccountKey(sim, 'tty@proj-vault.iam.gserviceaccount.com');
        const file = join(dir, 'sa.json');
        await writeFile(file, JSON.stringify(key.json), { mode: 0o600 });
        const inTerminal = async (args: string[], answers: string[]) => {
          const term = startInTerminal(args, sandbox.env);
          for (const [n, answer] of answers.entries()) {
            // Typed only once the prompt shows, as a person would.
            await term.waitFor(new RegExp(`(?:passphrase[^:\\n]*: [^]*){${n + 1}}`, 'i'));
            term.type(`${answer}\r`);
          }
          return { code: await term.exit, out: term.output() };
        };
        const differ = await inTerminal(['import-service-account', file], ['first-typed-secret', 'second-typed-secret']);
        assert.equal(differ.code, 1, differ.out);
        assert.match(differ.out, /VAULT_PASSPHRASE_REQUIRED: The two passphrases differ/);
        await assert.rejects(stat(vaultPath(sandbox.home)), 'nothing saved');
        // A short or common one: a warning, and kept only when confirmed.
        for (const weak of ['hunter2', 'Password123!']) {
          const declined = await inTerminal(['import-service-account', file], [weak, weak, 'n']);
          assert.equal(declined.code, 1, declined.out);
          assert.match(declined.out, /Warning: this passphrase is easy to guess: it is (shorter than 12 characters|one of the most common passphrases)/);
          assert.match(declined.out, /VAULT_PASSPHRASE_REQUIRED: The weak passphrase was not confirmed/);
          await assert.rejects(stat(vaultPath(sandbox.home)), 'nothing saved');
        }
        const made = await inTerminal(['import-service-account', file], ['typed-vault-secret', 'typed-vault-secret']);
        assert.ok(!made.out.includes('Warning'), made.out);
        assert.equal(made.code, 0, made.out);
        assert.match(made.out, /New passphrase for the TokenTray file vault .*vault\.jwe: /);
        assert.match(made.out, /The same passphrase again: /);
        assert.ok(!made.out.includes('typed-vault-secret'), 'not echoed');
        const read = await inTerminal(['print-access-token'], ['typed-vault-secret']);
        assert.equal(read.code, 0, read.out);
        assert.match(read.out, /Passphrase of the TokenTray file vault .*vault\.jwe: /);
        assert.ok(!read.out.includes('typed-vault-secret'), 'not echoed');
        const wrong = await inTerminal(['print-access-token'], ['typed-wrongly']);
        assert.equal(wrong.code, 1);
        assert.match(wrong.out, /VAULT_PASSPHRASE_WRONG/);
        sandbox.env.TOKENTRAY_FILE_PASSPHRASE = 'typed-vault-secret'; // for the sandbox's own cleanup
        await writeFile(file, '{}');
      } finally {
        await sim.close();
      }
    } finally {
      await sandbox.cleanup();
    }
  });
});

describe('a remote login on a terminal: new vault passphrase, then paste-back', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });

  it('asks the new passphrase twice before showing the address, takes the pasted one, and exits', async () => {
    withoutDesktop(fx.sandbox.env);
    fx.sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
    delete fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE;
    const term = startInTerminal(['login', ...googleLoginFlags(fx.idp), '--login-hint', 'xena@example.test', '--timeout', '60'], fx.sandbox.env);
    await term.waitFor(/New passphrase for the TokenTray file vault .*: /);
    assert.doesNotMatch(term.output(), /https?:\/\/127/, 'asked before the sign-in starts');
    term.type('terminal-vault-secret\r');
    await term.waitFor(/The same passphrase again: /);
    term.type('terminal-vault-secret\r');
    const url = (await term.waitFor(/^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)\r?$/m))[1];
    const { pasted } = await browseElsewhere(url, 'xena@example.test');
    term.type(`${pasted.href}\r`);
    await term.waitFor(/^xena@example\.test\r?$/m);
    const shown = Date.now();
    assert.equal(await term.exit, 0, term.output());
    assert.ok(Date.now() - shown < 2000, `exited ${Date.now() - shown} ms after signing in`); // 1 s, with room for load
    assert.ok(!term.output().includes('terminal-vault-secret'), 'never echoed');
    fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE = 'terminal-vault-secret'; // for the sandbox's cleanup and canary
    const token = await runCliInProcess(['print-access-token'], fx.sandbox.env);
    assert.equal(token.code, 0, token.stderr);
  });
});

describe("the vault's key: derived once per vault and process; earlier versions' files still read", () => {
  const passphrase = 'correct horse battery staple';
  const source = (p: string) => ({ existing: () => Promise.resolve(p), create: () => Promise.resolve(p) });
  let dir: string;
  let path: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokentray-vault-key-'));
    path = join(dir, 'vault.jwe');
  });
  after(() => rm(dir, { recursive: true, force: true }));
  /** Derivations `fn` makes, every one made anew as in a user's process. */
  const derivations = async (fn: () => Promise<void>) => {
    const before = pbkdf2.counts.fresh;
    await pbkdf2.fresh(fn);
    return pbkdf2.counts.fresh - before;
  };
  const header = async () => JSON.parse(Buffer.from((await readFile(path, 'utf8')).split('.')[0], 'base64url').toString()) as Record<string, unknown>;

  it("a new vault derives once; a read and rewrites derive once; another process's rewrite costs a reader none", async () => {
    await rm(path, { force: true });
    const a = new FileSecretStore(path, source(passphrase));
    assert.equal(await derivations(() => a.set('one', '1')), 1, 'a new vault');
    const b = new FileSecretStore(path, source(passphrase));
    assert.equal(
      await derivations(async () => {
        assert.equal(await b.get('one'), '1');
        await b.set('two', '2');
        await b.commit([{ key: 'three', value: '3' }]);
        assert.equal(await b.delete('one'), true);
      }),
      1,
      'another process: one read, three rewrites',
    );
    assert.equal(
      await derivations(async () => {
        assert.deepEqual([await a.get('one'), await a.get('two'), await a.get('three')], [undefined, '2', '3']);
        await a.set('four', '4');
      }),
      0,
      "the first process reads the other's rewrites (same salt) and writes with the key it has",
    );
    const wrong = new FileSecretStore(path, source('not the passphrase'));
    await assert.rejects(wrong.get('two'), (err: Error & { code?: string }) => err.code === 'VAULT_PASSPHRASE_WRONG');
  });

  it("reads a vault in the earlier PBES2 form, and rewrites it in today's at its next change, keeping every item", async () => {
    const old = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ v: 1, items: { kept: 'yes', also: 'this' } })))
      .setProtectedHeader({ alg: 'PBES2-HS512+A256KW', enc: 'A256GCM', cty: 'tokentray-vault+json' })
      .setKeyManagementParameters({ p2c: VAULT_ITERATIONS })
      .encrypt(new TextEncoder().encode(passphrase));
    await writeFile(path, `${old}\n`, { mode: 0o600 });
    await assert.rejects(
      new FileSecretStore(path, source('not the passphrase')).get('kept'),
      (err: Error & { code?: string }) => err.code === 'VAULT_PASSPHRASE_WRONG',
    );
    assert.equal(await readFile(path, 'utf8'), `${old}\n`, 'a wrong passphrase changes nothing');
    const store = new FileSecretStore(path, source(passphrase));
    assert.equal(await store.get('kept'), 'yes');
    assert.equal((await header()).alg, 'PBES2-HS512+A256KW', 'a read rewrites nothing');
    await store.set('new', 'item');
    assert.equal((await header()).alg, 'A256KW');
    const again = new FileSecretStore(path, source(passphrase));
    assert.deepEqual([await again.get('kept'), await again.get('also'), await again.get('new')], ['yes', 'this', 'item']);
  });

  it('refuses a derivation that is not ours without deriving, and a header altered in any other way as altered', async () => {
    await rm(path, { force: true });
    await new FileSecretStore(path, source(passphrase)).set('item', 'value');
    const good = await readFile(path, 'utf8');
    const [, ...rest] = good.trim().split('.');
    const withHeader = (h: Record<string, unknown>) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${rest.join('.')}\n`;
    const kdf = (await header())['tt-kdf'] as Record<string, unknown>;
    const base = { alg: 'A256KW', enc: 'A256GCM', cty: 'tokentray-vault+json' };
    const notOurs = [
      { ...base },
      { ...base, 'tt-kdf': [kdf] },
      { ...base, 'tt-kdf': { ...kdf, iterations: 1e9 } },
      { ...base, 'tt-kdf': { ...kdf, iterations: 5_000 } },
      { ...base, 'tt-kdf': { ...kdf, iterations: 150_000.5 } },
      { ...base, 'tt-kdf': { ...kdf, salt: 'AAAAAAAA' } },
      { ...base, 'tt-kdf': { ...kdf, salt: 'not base64url!' } },
      { ...base, 'tt-kdf': { ...kdf, alg: 'PBKDF2-SHA1' } },
      { ...base, alg: 'dir', 'tt-kdf': kdf },
    ];
    for (const h of notOurs) {
      await writeFile(path, withHeader(h));
      const n = await derivations(() =>
        assert.rejects(new FileSecretStore(path, source(passphrase)).get('item'), (err: Error & { code?: string }) => err.code === 'VAULT_DAMAGED'),
      );
      assert.equal(n, 0, JSON.stringify(h));
      assert.equal(await readFile(path, 'utf8'), withHeader(h), 'kept');
    }
    // The header is authenticated with the content: another salt or any added field fails to decrypt.
    for (const h of [
      { ...base, 'tt-kdf': { ...kdf, salt: 'B'.repeat(22) } },
      { ...base, 'tt-kdf': kdf, zip: undefined, note: 'added' },
    ]) {
      await writeFile(path, withHeader(h));
      await assert.rejects(
        new FileSecretStore(path, source(passphrase)).get('item'),
        (err: Error & { code?: string }) => err.code === 'VAULT_PASSPHRASE_WRONG',
      );
    }
    await writeFile(path, good);
    assert.equal(await new FileSecretStore(path, source(passphrase)).get('item'), 'value', 'the file as written reads');
  });
});

describe('vaultPassphrase', () => {
  it('calls short, repeated, digit-only and common passphrases weak, and long ones not', () => {
    for (const weak of ['short', 'aaaaaaaaaaaaaaaa', '12345678901234', 'password', 'Password123!', 'tokentray2026', 'correct horse battery staple'])
      assert.ok(passphraseWeakness(weak), weak);
    for (const fine of ['typed-vault-secret', 'mellow-otter-58-lantern', 'zwölf zeichen!']) assert.equal(passphraseWeakness(fine), undefined, fine);
  });

  it('warns (on the output, without asking) about a weak TOKENTRAY_FILE_PASSPHRASE for a new vault', async () => {
    let written = '';
    const output = { write: (t: string) => ((written += t), true) } as unknown as NodeJS.WriteStream;
    assert.equal(await vaultPassphrase({ TOKENTRAY_FILE_PASSPHRASE: 'letmein' }, { output }).create('/v'), 'letmein');
    assert.match(written, /^Warning: the new file-vault passphrase in TOKENTRAY_FILE_PASSPHRASE is weak: it is one of the most common passphrases\.\n$/);
    written = '';
    await vaultPassphrase({ TOKENTRAY_FILE_PASSPHRASE: 'letmein' }, { output }).existing('/v');
    assert.equal(written, '', 'an existing vault keeps its passphrase: no warning');
  });

  it('takes TOKENTRAY_FILE_PASSPHRASE, refuses an empty one, and needs a terminal otherwise', async () => {
    assert.equal(await vaultPassphrase({ TOKENTRAY_FILE_PASSPHRASE: 'from-env' }, {}).create('/v'), 'from-env');
    await assert.rejects(vaultPassphrase({ TOKENTRAY_FILE_PASSPHRASE: '' }, {}).existing('/v'), { code: 'VAULT_PASSPHRASE_REQUIRED' });
    await assert.rejects(vaultPassphrase({}, {}).existing('/v'), /no terminal to ask it on/);
  });
});
