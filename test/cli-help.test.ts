import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { importServiceAccountJson } from '../electron/core/google/service-account.js';
import { COMMAND_NAMES } from '../electron/cli/run.js';
import { signInThroughCore } from './support/flows.js';
import { makeServiceAccountKey, startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

/** Every page `tokentray … --help` can show: the commands, and adc's two verbs. */
const HELP_PAGES = [...COMMAND_NAMES.filter((n) => n !== 'adc').map((n) => [n]), ['adc'], ['adc', 'import'], ['adc', 'export'], ['clients', 'remove']];

describe('tokentray --help and COMMAND --help', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());
  const cli = (...args: string[]) => runCliInProcess(args, sandbox.env);

  it('lists every command once, grouped, one line each', async () => {
    const res = await cli('--help');
    assert.equal(res.code, 0);
    assert.equal(res.stderr, '');
    const groups = [...res.stdout.matchAll(/^(\w+):$/gm)].map((m) => m[1]);
    assert.deepEqual(groups, ['Accounts', 'Tokens', 'Integrations'], 'no command falls into "Other" (each declares its group)');
    for (const name of COMMAND_NAMES) {
      const lines = res.stdout.split('\n').filter((l) => l.startsWith(`  ${name} `));
      assert.equal(lines.length, 1, name);
      assert.match(lines[0], new RegExp(`^  ${name} +[A-Z][^\\n]{10,}$`), `${name} has a one-line summary`);
    }
    assert.match(res.stdout, /Run `tokentray COMMAND --help`/);
    // Without a command: the same list, on stderr, exit 2.
    const bare = await cli();
    assert.equal(bare.code, 2);
    assert.equal(bare.stderr, res.stdout);
  });

  for (const page of HELP_PAGES) {
    it(`${page.join(' ')} --help: what it does, every option with its default, examples`, async () => {
      const res = await cli(...page, '--help');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      const text = res.stdout;
      assert.match(text.split('\n')[0], /^[A-Z].{15,}\.$/, 'starts with a sentence saying what it does');
      assert.match(text, new RegExp(`\\nUsage:\\n  tokentray ${page.join(' ')}( |\\n)`));
      const options = text.slice(text.indexOf('\nOptions:\n'), text.indexOf('\nGlobal options:'));
      assert.ok(options.includes('-h, --help'), 'lists --help');
      // A flag that takes a value says its default (wrapped lines belong to the flag above them).
      const entries = options.split(/\n(?= {2}-)/).slice(1);
      assert.ok(entries.length >= 1);
      for (const entry of entries) {
        const [, flag, value] = /^ {2}(?:-\w, )?(--[\w-]+)(?: (\S+))?/.exec(entry)!;
        if (value) assert.match(entry.replace(/\s+/g, ' '), /Default: [^.]+/, `${flag} states its default`);
      }
      const examples = text.slice(text.indexOf('\nExamples:\n'));
      assert.ok(text.includes('\nExamples:\n'), 'has examples');
      assert.ok([...examples.matchAll(/^ {2}\$ .*tokentray /gm)].length >= 1, 'at least one example runs tokentray');
      // `tokentray help NAME` shows the same page.
      if (page.length === 1) assert.equal((await cli('help', page[0])).stdout, text);
    });
  }

  it('a malformed --issuer is a usage error (exit 2) with its own code', async () => {
    const res = await cli('login', '--issuer', 'notaurl', '--client-id', 'x', '--no-browser');
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /^tokentray: INVALID_ISSUER: The issuer "notaurl" is not a URL\./);
  });

  it('prints the version', async () => {
    const res = await cli('--version');
    assert.deepEqual([res.code, res.stdout], [0, 'tokentray 0.1.0\n']);
    const short = await cli('-v');
    assert.deepEqual([short.code, short.stdout], [0, 'tokentray 0.1.0\n']);
  });
});

describe('tokentray usage errors: exit 2, a sentence, the usage line, a suggestion for typos', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());

  // [argv, the first line of stderr (exact), the command whose usage follows]
  const cases: Array<[string[], string, string | null]> = [
    [['acounts'], 'tokentray: USAGE: unknown command "acounts": did you mean `tokentray accounts`? Run `tokentray --help` for the list.', null],
    [
      ['print-acess-token'],
      'tokentray: USAGE: unknown command "print-acess-token": did you mean `tokentray print-access-token`? Run `tokentray --help` for the list.',
      null,
    ],
    [['frobnicate'], 'tokentray: USAGE: unknown command "frobnicate". Run `tokentray --help` for the list.', null],
    [['print-access-token', '--acount', 'x'], 'tokentray: USAGE: unknown option --acount: did you mean --account?', 'print-access-token'],
    [['print-access-token', '--acount=x'], 'tokentray: USAGE: unknown option --acount: did you mean --account?', 'print-access-token'],
    [['login', '--client-secret-flie', 'x.json'], 'tokentray: USAGE: unknown option --client-secret-flie: did you mean --client-secret-file?', 'login'],
    [['print-access-token', '--bogus'], 'tokentray: USAGE: unknown option --bogus', 'print-access-token'],
    [['print-access-token', '--account'], 'tokentray: USAGE: --account needs a value', 'print-access-token'],
    [['accounts', '--json=yes'], 'tokentray: USAGE: --json takes no value', 'accounts'],
    [['accounts', 'extra'], 'tokentray: USAGE: unexpected argument "extra"', 'accounts'],
    [
      ['login', '--client-secret-file', 'a.json', '--client-id', 'x'],
      'tokentray: USAGE: give either --client-secret-file or --client-id/--client-secret, not both',
      'login',
    ],
    [['login', '--flavor', 'saml'], 'tokentray: USAGE: --flavor must be google or oidc', 'login'],
    [['login', '--timeout', 'soon'], 'tokentray: USAGE: --timeout takes a number of seconds', 'login'],
    [
      ['print-access-token', '--self-signed-jwt'],
      'tokentray: USAGE: --self-signed-jwt takes --audience URL, and neither --scopes nor --impersonate-service-account',
      'print-access-token',
    ],
    [
      ['print-access-token', '--audience', 'https://x.example'],
      'tokentray: USAGE: --audience goes with --self-signed-jwt (for ID tokens: print-identity-token --audiences)',
      'print-access-token',
    ],
    [['print-identity-token', '--audiences', ' '], 'tokentray: USAGE: --audiences needs a value', 'print-identity-token'],
    [['use'], 'tokentray: USAGE: name the account (email or id)', 'use'],
    [['logout'], 'tokentray: USAGE: name the account to sign out (email or id), or give --all', 'logout'],
    [['logout', 'a@example.test', '--all'], 'tokentray: USAGE: name an account or give --all, not both', 'logout'],
    [
      ['print-access-token', 'alice@example.com'],
      'tokentray: USAGE: unexpected argument "alice@example.com": did you mean --account alice@example.com?',
      'print-access-token',
    ],
    [['info', 'alice@example.com', '--json'], 'tokentray: USAGE: unexpected argument "alice@example.com": did you mean --account alice@example.com?', 'info'],
    [
      ['exec', 'python3', '-c', 'print(1)'],
      "tokentray: USAGE: add -- before the command, so its options are not taken for exec's: tokentray exec [options] -- python3 …",
      'exec',
    ],
    [
      ['configure', 'a@example.test', '--project', 'bad!'],
      'tokentray: USAGE: --project: "bad!" is not a Google Cloud project id (6-30 lowercase letters, digits and hyphens, starting with a letter)',
      'configure',
    ],
    [['completion'], 'tokentray: USAGE: name the shell: bash, zsh, fish or powershell', 'completion'],
    [['import-service-account'], 'tokentray: USAGE: name the service-account key file (JSON)', 'import-service-account'],
    [['metadata-server', '--port', '0'], 'tokentray: USAGE: --port takes a number from 1 to 65535 (leave it out for a free port)', 'metadata-server'],
    [['exec'], 'tokentray: USAGE: name the command to run after --', 'exec'],
    [['curl'], 'tokentray: USAGE: name the URL', 'curl'],
    [['curl', '--account'], 'tokentray: USAGE: --account needs a value', 'curl'],
    [['curl', '--acount', 'a@example.test', 'https://x.example'], 'tokentray: USAGE: unknown option --acount: did you mean --account?', 'curl'],
    [['adc'], 'tokentray: USAGE: adc takes import or export', 'adc'],
    [['adc', 'exprot'], 'tokentray: USAGE: unknown adc command "exprot": did you mean `adc export`?', 'adc'],
    [['adc', 'show'], 'tokentray: USAGE: unknown adc command "show" (it takes import or export)', 'adc'],
    [['adc', 'import', '--remove-flie'], 'tokentray: USAGE: unknown option --remove-flie: did you mean --remove-file?', 'adc import'],
    [['configure'], 'tokentray: USAGE: name the account (email or id)', 'configure'],
    [['configure', 'a@example.test', '--project', 'p', '--no-project'], 'tokentray: USAGE: give --project or --no-project, not both', 'configure'],
    [
      ['configure', 'a@example.test', '--impersonate-service-account', 's@p.iam.gserviceaccount.com', '--no-impersonation'],
      'tokentray: USAGE: give --impersonate-service-account or --no-impersonation, not both',
      'configure',
    ],
    [['configure', 'a@example.test', '--projcet', 'p'], 'tokentray: USAGE: unknown option --projcet: did you mean --project?', 'configure'],
    [['clients', 'remove'], 'tokentray: USAGE: name the client to remove (its client id or id)', 'clients remove'],
    [['clients', 'remvoe'], 'tokentray: USAGE: unknown clients command "remvoe": did you mean `clients remove`?', 'clients'],
    [['clients', 'frob'], 'tokentray: USAGE: unknown clients command "frob" (it takes remove)', 'clients'],
    [['configure-docker', '--account'], 'tokentray: USAGE: --account needs a value', 'configure-docker'],
  ];
  for (const [argv, first, command] of cases) {
    it(`tokentray ${argv.join(' ')}`, async () => {
      const res = await runCliInProcess(argv, sandbox.env);
      assert.equal(res.code, 2, res.stderr);
      assert.equal(res.stdout, '');
      const lines = res.stderr.trimEnd().split('\n');
      assert.equal(lines[0], first);
      if (command) {
        assert.match(lines[1], new RegExp(`^usage: tokentray ${command}( |$)`));
        assert.equal(lines[2], `Run \`tokentray ${command} --help\` for the options and examples.`);
      } else assert.equal(lines.length, 1);
    });
  }
});

describe('tokentray kube-credential: kubectl reads one line', () => {
  it('a typo is one line on stderr, with the suggestion, exit 1', async () => {
    const sandbox = await makeSandbox();
    try {
      const res = await runCliInProcess(['kube-credential', '--acount', 'x'], sandbox.env);
      assert.equal(res.code, 1);
      assert.equal(
        res.stderr,
        'tokentray: USAGE: unknown option --acount: did you mean --account? usage: tokentray kube-credential [--account ACCOUNT] [--impersonate-service-account SA[,DELEGATE…]] Run `tokentray kube-credential --help` for the options and examples.\n',
      );
    } finally {
      await sandbox.cleanup();
    }
  });
});

describe('tokentray accounts (table) and logout of the default account', () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  let sim: GoogleSim;
  before(async () => {
    sim = await startGoogleSim(fx.idp);
    const core = fx.sandbox.core();
    await signInThroughCore(core, fx.idp, 'alexandra.long-address@example.test');
    await signInThroughCore(core, fx.idp, 'bo@example.test');
    const { json } = await makeServiceAccountKey(sim, 'ci-bot@proj-two.iam.gserviceaccount.com');
    await importServiceAccountJson(core.accounts, JSON.stringify(json));
  });
  after(async () => sim?.close());
  const cli = (...args: string[]) => runCliInProcess(args, fx.sandbox.env);

  it('prints an aligned table with a header; a service account is "service account", not its token_uri', async () => {
    const res = await cli('accounts');
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0], /^ {3}EMAIL +KIND +ISSUER +STATUS +ID$/);
    const host = new URL(fx.idp.issuer).host;
    assert.match(lines[1], new RegExp(`^\\*  alexandra\\.long-address@example\\.test +user +${host.replace(/\./g, '\\.')} +ready +[0-9a-f]{12}$`));
    assert.match(lines[2], new RegExp(`^ {3}bo@example\\.test +user +${host.replace(/\./g, '\\.')} +ready +[0-9a-f]{12}$`));
    assert.match(lines[3], /^ {3}ci-bot@proj-two\.iam\.gserviceaccount\.com +service account +project proj-two +ready +[0-9a-f]{12}$/);
    assert.ok(!res.stdout.includes('token'), 'no token_uri');
    for (const column of ['KIND', 'ISSUER', 'STATUS', 'ID']) {
      const at = lines[0].indexOf(column);
      assert.ok(
        lines.slice(1).every((l) => l[at - 1] === ' ' && l[at] !== ' '),
        `${column} is aligned`,
      );
    }
    // --json keeps its fields (project and impersonate are null when unset).
    const json = JSON.parse((await cli('accounts', '--json')).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(json[0]), [
      'id',
      'email',
      'issuer',
      'scopes',
      'default',
      'status',
      'project',
      'quotaProject',
      'impersonate',
      'kind',
      'subject',
    ]);
    assert.deepEqual([json[0].project, json[0].impersonate, json[2].project], [null, null, 'proj-two']);
  });

  it('logout of the default account says which is the default now, then that none is', async () => {
    const first = await cli('logout', 'alexandra.long-address@example.test');
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /^Signed out alexandra\.long-address@example\.test: revoked its grant and forgot it\.\nbo@example\.test is the default account now \(change it with `tokentray use ACCOUNT`\)\.\n$/,
    );
    const notDefault = await cli('logout', 'ci-bot@proj-two.iam.gserviceaccount.com');
    assert.equal(notDefault.code, 0, notDefault.stderr);
    assert.doesNotMatch(notDefault.stderr, /default/, 'removing another account says nothing about the default');
    const last = await cli('logout', 'bo@example.test');
    assert.match(last.stderr, /\nNo default account now: no accounts are left\. Sign in with `tokentray login`\.\n$/);
    const empty = await cli('accounts');
    assert.deepEqual([empty.code, empty.stdout, empty.stderr], [0, '', 'No accounts. Run `tokentray login` to sign in (see `tokentray login --help`).\n']);
  });
});

describe('tokentray --verbose names the network cause under "fetch failed"', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());

  /** A port on 127.0.0.1 nothing listens on: one the OS just gave out and took back. */
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    return port;
  }

  const login = (issuer: string, ...extra: string[]) =>
    runCliInProcess(['login', '--issuer', issuer, '--client-id', 'x', '--no-browser', ...extra], sandbox.env);

  it('ENOTFOUND, ECONNREFUSED and a TLS error each show as the cause, with --verbose only', async () => {
    const plain = createServer((_req, res) => res.end('not TLS'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    try {
      const cases: Array<[string, RegExp]> = [
        ['https://idp.invalid', /^tokentray: cause: getaddrinfo (ENOTFOUND|EAI_AGAIN) idp\.invalid$/m],
        [`https://127.0.0.1:${await closedPort()}`, /^tokentray: cause: connect ECONNREFUSED 127\.0\.0\.1:\d+$/m],
        [`https://127.0.0.1:${(plain.address() as AddressInfo).port}`, /^tokentray: cause: ERR_SSL_WRONG_VERSION_NUMBER$/m],
      ];
      for (const [issuer, cause] of cases) {
        const quiet = await login(issuer);
        assert.equal(quiet.code, 1);
        assert.match(quiet.stderr, /^tokentray: PROVIDER_UNREACHABLE: /);
        assert.doesNotMatch(quiet.stderr, /cause/);
        const verbose = await login(issuer, '--verbose');
        assert.equal(verbose.code, 1);
        assert.match(verbose.stderr, cause, verbose.stderr);
        assert.match(verbose.stderr, /failed after \d+ ms: fetch failed \(.+\)$/m, 'the HTTP log line names it too');
      }
    } finally {
      plain.closeAllConnections();
      await new Promise((r) => plain.close(r));
    }
  });
});
