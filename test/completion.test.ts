import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { complete } from '../electron/cli/completion.js';
import { COMMAND_NAMES, COMMAND_SPECS_FILE, commandSpecs } from '../electron/cli/run.js';
import { CLI, makeSandbox, runCli, runCliInProcess, type Sandbox } from './support/sandbox.js';

const run = promisify(execFile);

/** Two accounts as accounts.json lists them, and one whose email would drive a terminal. */
const REGISTRY = {
  version: 1,
  accounts: [
    { id: 'acc-alice', email: 'alice@example.com', kind: 'user' },
    { id: 'acc-bob', email: 'bob@example.com', kind: 'user' },
    { id: 'acc-evil', email: 'evil\u001b]0;x\u0007@example.com', kind: 'user' },
  ],
};
const ACCOUNTS = ['alice@example.com', 'acc-alice', 'bob@example.com', 'acc-bob', 'acc-evil'];

/** The three lines the issue names, and what each must offer. */
const CASES: Array<[string, string[]]> = [
  ['tokentray pr', ['print-access-token', 'print-identity-token']],
  ['tokentray use ', ACCOUNTS],
  ['tokentray login --sc', ['--scopes']],
  ['tokentray login --flavor ', ['google', 'oidc']],
  ['tokentray print-access-token --account al', ['alice@example.com']],
  ['tokentray login --scopes email,cloud-platform.r', ['email,cloud-platform.read-only']],
  ['tokentray adc ', ['export', 'import']],
];

const sorted = (list: string[]) => [...list].sort();

describe('shell completion, in the real shells', () => {
  let sandbox: Sandbox;
  let env: Record<string, string>;
  /** Each shell's script, printed once by the bin on PATH: every case sources it as `eval "$(…)"` would. */
  const scripts: Record<'bash' | 'zsh' | 'fish', string> = { bash: '', zsh: '', fish: '' };
  before(async () => {
    // No keychain preload: completion writes no keychain, and each <TAB> is a process start.
    sandbox = await makeSandbox({ windowsKeychainLimit: false });
    await writeFile(join(sandbox.home, 'accounts.json'), JSON.stringify(REGISTRY), { mode: 0o600 });
    // `tokentray` on PATH, as `npm i -g` leaves it; the shells' own files stay in the sandbox.
    const bin = await sandbox.dir('bin');
    await symlink(CLI, join(bin, 'tokentray'));
    const xdg = await sandbox.dir('xdg');
    env = { ...sandbox.env, PATH: `${bin}:${process.env.PATH}`, HOME: sandbox.root, XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, XDG_CACHE_HOME: xdg };
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const printed = await run('tokentray', ['completion', shell], { env });
      scripts[shell] = await sandbox.writeFile(`completion.${shell}`, printed.stdout);
    }
  });
  after(async () => sandbox.cleanup());

  const bash = (line: string) =>
    run(
      'bash',
      [
        '--norc',
        '--noprofile',
        '-c',
        // What bash does at <TAB>: split the line, set COMP_WORDS/COMP_CWORD, call the -F function `complete -p` names.
        `eval "$(<"$SCRIPT")"
         spec=$(complete -p tokentray) || exit 3
         fn=$(sed -E 's/.* -F ([^ ]+) .*/\\1/' <<<"$spec")
         read -ra COMP_WORDS <<<"$LINE"; [[ $LINE == *' ' ]] && COMP_WORDS+=('')
         COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); COMP_LINE=$LINE; COMP_POINT=\${#LINE}
         "$fn" tokentray "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
         printf '%s\\n' "$spec" "\${COMPREPLY[@]}"`,
      ],
      { env: { ...env, LINE: line, SCRIPT: scripts.bash } },
    );

  const zsh = (line: string) =>
    run(
      'zsh',
      [
        '-f',
        '-c',
        // compadd and compdef captured: what the script hands zsh's completion system.
        `compdef() { print -r -- "compdef $*" }
         compadd() { print -rl -- "\${@[\${@[(i)--]}+1,-1]}" }
         _files() { print -r -- "(files)" }
         eval "$(<$SCRIPT)"
         words=("\${(@z)LINE}"); [[ $LINE == *' ' ]] && words+=('')
         CURRENT=\${#words}
         _tokentray`,
      ],
      { env: { ...env, LINE: line, SCRIPT: scripts.zsh } },
    );

  const fish = (line: string) =>
    run('fish', ['--no-config', '-c', 'source $SCRIPT; complete -C "$LINE"'], { env: { ...env, LINE: line, SCRIPT: scripts.fish } });

  for (const [line, expected] of CASES) {
    it(`bash: ${JSON.stringify(line)}`, async () => {
      const [spec, ...candidates] = (await bash(line)).stdout.split('\n').filter(Boolean);
      assert.match(spec, /^complete .*-F _tokentray tokentray$/);
      assert.deepEqual(sorted(candidates), sorted(expected));
    });
    it(`zsh: ${JSON.stringify(line)}`, async () => {
      const [registered, ...candidates] = (await zsh(line)).stdout.split('\n').filter(Boolean);
      assert.equal(registered, 'compdef _tokentray tokentray');
      assert.deepEqual(sorted(candidates), sorted(expected));
    });
    it(`fish: ${JSON.stringify(line)}`, async () => {
      const candidates = (await fish(line)).stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
      assert.deepEqual(sorted(candidates), sorted(expected));
    });
  }

  it('offers files where a value is a file (bash falls back, zsh calls _files)', async () => {
    assert.match((await bash('tokentray import-service-account ')).stdout, /^complete -o default /);
    assert.deepEqual((await zsh('tokentray import-service-account ')).stdout.split('\n').filter(Boolean).slice(1), ['(files)']);
  });

  it('never offers an account name with control characters, and never reads the keychain', async () => {
    // A keychain that is not there: completion must not need it.
    const res = await runCli(['__complete', '--', 'use', ''], {
      ...sandbox.env,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent',
      TOKENTRAY_KEYCHAIN_SERVICE: 'none',
    });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(sorted(res.stdout.split('\n').filter(Boolean)), sorted(ACCOUNTS));
  });

  it('loads neither keytar nor openid-client nor jose (each <TAB> starts a process)', async () => {
    const hook = await sandbox.writeFile(
      'hook.cjs',
      "const M = require('module'); const load = M._load; M._load = function (r, ...a) { if (/keytar|openid-client|jose/.test(r)) process.stderr.write(`loaded ${r}\\n`); return load.call(this, r, ...a); };",
    );
    // Without the sandbox's NODE_OPTIONS, whose keychain preload loads keytar itself.
    const { NODE_OPTIONS: _, ...env } = sandbox.env;
    const res = await run(process.execPath, ['-r', hook, CLI, '__complete', '--', 'login', '--sc'], { env });
    assert.equal(res.stdout, '--scopes\n');
    assert.equal(res.stderr, '');
  });

  it("the build's copy of the specs is the commands' own", async () => {
    const built = JSON.parse(await readFile(join(CLI, '..', COMMAND_SPECS_FILE), 'utf8')) as unknown;
    assert.deepEqual(built, JSON.parse(JSON.stringify(await commandSpecs())));
  });

  it('with no registry, or a damaged one, offers no accounts and does not fail', async () => {
    const empty = await sandbox.dir('empty');
    const none = await runCliInProcess(['__complete', '--', 'use', ''], { ...sandbox.env, TOKENTRAY_HOME: empty });
    assert.deepEqual([none.code, none.stdout, none.stderr], [0, '', '']);
    await writeFile(join(empty, 'accounts.json'), '{"version":1,"accounts":[', { mode: 0o600 });
    const damaged = await runCliInProcess(['__complete', '--', 'use', ''], { ...sandbox.env, TOKENTRAY_HOME: empty });
    assert.deepEqual([damaged.code, damaged.stdout, damaged.stderr], [0, '', '']);
  });

  it('completion SHELL: each shell, and a usage error for another', async () => {
    for (const shell of ['bash', 'zsh', 'fish', 'powershell']) {
      const res = await runCliInProcess(['completion', shell], sandbox.env);
      assert.equal(res.code, 0);
      assert.match(res.stdout, /tokentray __complete -- /, shell);
    }
    const bad = await runCliInProcess(['completion', 'tcsh'], sandbox.env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /USAGE: no completion for "tcsh"/);
  });
});

describe('completion follows the help specs', () => {
  it('every command in the table completes from nothing and from its first letters', async () => {
    const specs = await commandSpecs();
    assert.deepEqual(sorted(complete(specs, [''], {})), sorted([...COMMAND_NAMES]));
    for (const name of COMMAND_NAMES) assert.ok(complete(specs, [name.slice(0, 2)], {}).includes(name), name);
  });

  it('every option of every command and subcommand completes from `--` and its first letters', async () => {
    for (const help of await commandSpecs()) {
      for (const spec of [help, ...(help.subcommands ?? [])]) {
        const words = spec.name.split(' ');
        for (const option of Object.keys(spec.options)) {
          assert.ok(complete([help], [...words, '--'], {}).includes(`--${option}`), `${spec.name} --${option}`);
          assert.deepEqual(
            complete([help], [...words, `--${option}`], {}).filter((c) => c === `--${option}`),
            [`--${option}`],
          );
        }
      }
    }
  });

  it("nothing after `--`: the words are the other program's", async () => {
    assert.deepEqual(complete(await commandSpecs(), ['exec', '--', 'py'], {}), []);
  });
});

describe('tokentray(1)', () => {
  it('man renders the built page without warnings, with every command, option and subcommand', async () => {
    const page = join(CLI, '..', '..', '..', 'man', 'tokentray.1');
    const { stdout, stderr } = await run('man', ['--warnings', '-l', page], {
      env: { ...process.env, MANPAGER: 'cat', MANWIDTH: '200', MAN_KEEP_FORMATTING: '' },
    });
    assert.equal(stderr, '');
    const text = stdout.replace(/.\x08/g, '');
    for (const help of await commandSpecs()) {
      for (const spec of help.subcommands?.length ? help.subcommands : [help]) {
        assert.match(text, new RegExp(`tokentray ${spec.name}\\b`), spec.name);
        for (const option of Object.keys(spec.options)) assert.ok(text.includes(`--${option}`), `${spec.name} --${option}`);
      }
    }
    assert.match(text, /^TOKENTRAY\(1\)/m);
  });
});
