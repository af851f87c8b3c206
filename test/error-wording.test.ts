/**
 * Errors carry a code, a sentence and facts; each surface words what to do. The CLI may name its
 * commands; the window (and the tray's notifications) never do: they name the window's buttons.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import type { AppHandlers } from '../electron/app/handlers/index.js';
import { dispatch } from '../electron/app/ipc-dispatch.js';
import { describeForWindow } from '../electron/app/remedies.js';
import { describeForCli } from '../electron/cli/remedies.js';
import { consoleUrl } from '../electron/core/google/console-url.js';
import { checkRegistryHosts } from '../electron/core/integrations/docker-credential.js';
import { TokenTrayError, type ErrorFacts, type Remedy } from '../electron/core/shared/errors.js';
import type { AccountRecord } from '../electron/core/accounts/account-registry.js';
import { SettingsStore } from '../electron/core/storage/settings-store.js';
import { handlersForTest } from './support/renderer-harness.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMAND = /\btokentray [a-z]/;
/** A command-line flag inside a sentence; a literal that is only a flag (an argv check) is not a sentence. */
const FLAG = /(?:^|[\s(`"'])--[a-z][\w-]+/;
const sentenceNamesCli = (text: string) => COMMAND.test(text) || (FLAG.test(text) && !/^--[\w-]+$/.test(text));
/** Text served to other programs (read in the user's terminal), not shown by the window. */
const TOOL_FACING = [
  ['electron/core/integrations/metadata-server.ts', 'No project is set.'],
  ['electron/core/integrations/metadata-server.ts', ' is a user account: Google issues its ID tokens only'],
];

/** Every remedy, with the facts it is worded from (the compiler makes the list complete). */
const REMEDIES = {
  'sign-in': {},
  'sign-in-again': { account: 'ana@example.test', accountId: 'a1', scope: 'cloud-platform' },
  'sign-in-instead': { path: '/x/adc.json' },
  'use-as-client-file': {},
  'import-service-account': { path: '/x/key.json' },
  'import-key-again': { account: 'sa@p.iam.gserviceaccount.com', accountId: 'a2' },
  'list-accounts': {},
  'forget-without-revoke': { account: 'ana@example.test', accountId: 'a1' },
  'use-metadata-server': {},
  'give-client-file': { issuer: 'https://accounts.google.com' },
  'give-client-file-again': { issuer: 'https://idp.example.test', account: 'ana@example.test', accountId: 'a1' },
  'list-clients': {},
  'sign-out-client-users': { account: 'ana@example.test', accountId: 'a1' },
  'import-new-key': { account: 'sa@p.iam.gserviceaccount.com' },
  'end-stuck-process': { pid: 4242 },
  'allow-insecure-http': {},
  'give-vault-passphrase': { path: '/x/vault.json' },
  'replace-or-choose-file': { path: '/x/adc.json' },
  'choose-another-port': {},
  'give-audience': {},
  'impersonate-or-use-key': {},
  'try-google-flavor': { issuer: 'https://idp.example.test' },
  'set-project-first': { account: 'ana@example.test', accountId: 'a1' },
  'leave-out-quota-project': {},
  'choose-google-user': {},
  'allow-other-registry': {},
  'check-proxy': {},
} satisfies { [R in Remedy]: Omit<ErrorFacts, 'remedy'> };

const REMEDY = (remedy: Remedy): ErrorFacts => ({ remedy, ...REMEDIES[remedy] });

describe('error wording', () => {
  it('no sentence in electron/core or electron/app names a CLI command or flag', () => {
    const found: string[] = [];
    const files = ['core', 'app'].flatMap((part) =>
      readdirSync(join(root, 'electron', part), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.ts'))
        .map((e) => join(e.parentPath, e.name)),
    );
    for (const file of files) {
      // Only string and template literals: comments may say `tokentray info`.
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        const texts =
          ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)
            ? [node.text]
            : ts.isTemplateExpression(node)
              ? [node.head.text, ...node.templateSpans.map((span) => span.literal.text)]
              : [];
        for (const text of texts) {
          const toolFacing = TOOL_FACING.some(([f, start]) => relative(root, file) === f && text.startsWith(start));
          if (sentenceNamesCli(text) && !toolFacing) found.push(`${relative(root, file)}: ${text.slice(0, 80)}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(found, []);
  });

  it('every remedy has words on both surfaces: commands on the CLI, buttons in the window', () => {
    for (const [remedy, facts] of Object.entries(REMEDIES) as Array<[Remedy, ErrorFacts]>) {
      const err = new TokenTrayError('LOGIN_FAILED', 'It failed.', { facts: { remedy, ...facts } });
      const cli = describeForCli(err);
      const window = describeForWindow(err);
      // A command or a flag: tokentray's own, or the system's to end a stuck process.
      assert.match(
        cli,
        remedy === 'end-stuck-process' ? /^It failed\. .*`kill 4242`/ : /^It failed\. .*(tokentray [a-z]|--[a-z])/,
        `${remedy} on the CLI: ${cli}`,
      );
      assert.match(window, /^It failed\. \S/, remedy);
      assert.doesNotMatch(window, /tokentray |`|--/, `${remedy} in the window: ${window}`);
    }
    const plain = new TokenTrayError('LOGIN_FAILED', 'It failed.');
    assert.deepEqual([describeForCli(plain), describeForWindow(plain)], ['It failed.', 'It failed.'], 'no remedy, no advice');
    assert.match(
      describeForCli(new TokenTrayError('REAUTH_REQUIRED', 'x.', { facts: { remedy: 'sign-in-again', account: 'ana@example.test', scope: 'cloud-platform' } })),
      /`tokentray login --login-hint ana@example\.test --scopes cloud-platform`/,
    );
    assert.match(
      describeForCli(new TokenTrayError('REVOKE_FAILED', 'x.', { facts: { remedy: 'forget-without-revoke', accountId: 'abc123' } })),
      /`tokentray logout abc123 --no-revoke`/,
    );
    assert.match(
      describeForCli(new TokenTrayError('CLIENT_REQUIRED', 'x.', { facts: REMEDY('give-client-file-again') })),
      /`tokentray login --client-secret-file FILE --issuer https:\/\/idp\.example\.test --login-hint ana@example\.test`/,
    );
    assert.match(
      describeForCli(new TokenTrayError('CLIENT_REQUIRED', 'x.', { facts: { remedy: 'give-client-file-again', issuer: 'https://accounts.google.com' } })),
      /`tokentray login --client-secret-file FILE`\.$/,
      'Google is the default issuer',
    );
    assert.match(
      describeForCli(
        new TokenTrayError('SCOPE_NOT_GRANTED', 'x.', { facts: { remedy: 'sign-in-again', account: 'ana@example.test', scope: 'openid,email,drive' } }),
      ),
      /--scopes openid,email,drive`/,
    );
    assert.equal(
      describeForWindow(new TokenTrayError('SCOPE_NOT_GRANTED', 'x.', { facts: { remedy: 'sign-in-again', scope: 'openid,email,drive' } })),
      'x. Sign the account in again and grant the scopes openid, email, drive.',
    );
  });
});

describe("error wording of issue 20's refusals", () => {
  it('the Cloud Console and docker refusals say what to do, on both surfaces', () => {
    const refusals = [
      () => consoleUrl({ kind: 'service_account', email: 'sa@p1.iam.gserviceaccount.com', subject: '1', flavor: 'google' }),
      () => consoleUrl({ kind: 'user', email: 'a@b.test', subject: '1', flavor: 'oidc' }),
      () => checkRegistryHosts(['registry.example.invalid'], false),
    ];
    for (const refuse of refusals) {
      const err = (() => {
        try {
          refuse();
        } catch (e) {
          return e as TokenTrayError;
        }
        throw new Error('not refused');
      })();
      assert.match(describeForCli(err), /\. [^.]*--[a-z]/, err.code);
      assert.notEqual(describeForWindow(err), err.message, err.code);
    }
  });
});

describe('error wording, end to end: the CLI and the window on the same failures', () => {
  let sandbox: Sandbox;
  let handlers: AppHandlers;
  const now = new Date().toISOString();
  const record = (id: string, fields: Partial<AccountRecord>): AccountRecord => ({
    id,
    kind: 'user',
    subject: `sub-${id}`,
    email: `${id}@example.test`,
    issuer: 'https://issuer.invalid',
    flavor: 'google',
    clientId: 'client',
    scopes: ['openid', 'email'],
    status: 'ready',
    createdAt: now,
    updatedAt: now,
    ...fields,
  });
  const cli = async (...args: string[]) => {
    const res = await runCliInProcess(args, sandbox.env);
    assert.equal(res.code, 1, res.stderr);
    return res.stderr;
  };
  const window = async (channel: string, ...args: unknown[]) => {
    const result = await dispatch(handlers, channel, args);
    assert.equal(result.ok, false);
    if (result.ok) throw new Error('unreachable');
    assert.doesNotMatch(result.message, COMMAND, `${channel}: ${result.message}`);
    return `${result.code}: ${result.message}`;
  };

  before(async () => {
    sandbox = await makeSandbox();
    const core = sandbox.core();
    const settings = new SettingsStore(core.home);
    handlers = handlersForTest(core, settings);
  });
  after(async () => {
    await handlers.dispose();
    await sandbox.cleanup();
  });

  it('NO_ACCOUNTS', async () => {
    assert.match(await cli('print-access-token'), /^tokentray: NO_ACCOUNTS: No account is signed in\. Run `tokentray login` first\.$/m);
    assert.equal(await window('metadata:set', { enabled: true }), 'NO_ACCOUNTS: No account is signed in. Add an account first.');
  });

  it('CLIENT_REQUIRED: no OAuth client known yet', async () => {
    assert.match(
      await cli('login', '--no-browser'),
      /^tokentray: CLIENT_REQUIRED: No OAuth client is known for https:\/\/accounts\.google\.com\. Give the JSON file of a "Desktop app" OAuth client: `tokentray login --client-secret-file FILE` \(or --client-id ID --client-secret SECRET\)\.$/m,
    );
    assert.equal(
      await window('accounts:sign-in', {}),
      'CLIENT_REQUIRED: No OAuth client is known for https://accounts.google.com. Choose the JSON file of a “Desktop app” OAuth client in “Add account…”.',
    );
  });

  it('ACCOUNT_NOT_FOUND, REAUTH_REQUIRED, KEYCHAIN_ENTRY_MISSING, IMPERSONATION_NEEDS_SCOPE, NOT_A_SERVICE_ACCOUNT', async () => {
    await sandbox.core().accounts['registry'].update((data) => {
      data.accounts.push(
        record('revoked', { status: 'signin_required', statusReason: 'Google no longer accepts the refresh token of revoked@example.test (invalid_grant).' }),
        record('nosecret1', {}),
        record('nosecret2', {}),
        record('narrow', { impersonate: ['target@p.iam.gserviceaccount.com'] }),
        record('sakey', {
          kind: 'service_account',
          email: 'sakey@p.iam.gserviceaccount.com',
          subject: 'sakey@p.iam.gserviceaccount.com',
          scopes: ['https://www.googleapis.com/auth/cloud-platform'],
        }),
      );
      data.defaultAccount = 'revoked';
    });

    assert.match(
      await cli('use', 'nobody@example.test'),
      /^tokentray: ACCOUNT_NOT_FOUND: No account "nobody@example\.test"\. `tokentray accounts` lists the signed-in accounts\.$/m,
    );
    assert.equal(await window('tokens:get', 'nobody'), 'ACCOUNT_NOT_FOUND: No account "nobody". It may have been removed meanwhile.');

    assert.match(
      await cli('print-access-token', '--account', 'revoked'),
      /^tokentray: REAUTH_REQUIRED: Google no longer accepts .*\(invalid_grant\)\. Sign in again with `tokentray login --login-hint revoked@example\.test`\.$/m,
    );
    assert.match(await window('tokens:get', 'revoked'), /^REAUTH_REQUIRED: Google no longer accepts .*\(invalid_grant\)\. Sign the account in again\.$/);

    // Each marks its account for sign-in, so one account per surface.
    assert.match(
      await cli('print-access-token', '--account', 'nosecret1'),
      /^tokentray: KEYCHAIN_ENTRY_MISSING: The keychain item of nosecret1@example\.test is missing or damaged\. Sign in again with `tokentray login --login-hint nosecret1@example\.test`\.$/m,
    );
    assert.equal(
      await window('tokens:copy', 'nosecret2', 'access', 'raw'),
      'KEYCHAIN_ENTRY_MISSING: The keychain item of nosecret2@example.test is missing or damaged. Sign the account in again.',
    );

    assert.match(
      await cli('print-access-token', '--account', 'sakey'),
      /^tokentray: KEYCHAIN_ENTRY_MISSING: The keychain holds no key for sakey@p\.iam\.gserviceaccount\.com\. Import its key again with `tokentray import-service-account FILE`\.$/m,
    );
    assert.equal(
      await window('tokens:copy', 'sakey', 'access', 'raw'),
      'KEYCHAIN_ENTRY_MISSING: The keychain holds no key for sakey@p.iam.gserviceaccount.com. Import its key file again with “Import service account…”.',
    );

    assert.match(
      await cli('print-access-token', '--account', 'narrow', '--impersonate-service-account', 'target@p.iam.gserviceaccount.com'),
      /IMPERSONATION_NEEDS_SCOPE: .* Sign in again with `tokentray login --login-hint narrow@example\.test --scopes cloud-platform`\.$/m,
    );
    assert.match(
      await window('tokens:copy', 'narrow', 'access', 'raw', { impersonated: true }),
      /^IMPERSONATION_NEEDS_SCOPE: .* Sign the account in again and grant the cloud-platform scope\.$/,
    );

    assert.match(
      await cli('print-access-token', '--account', 'narrow', '--self-signed-jwt', '--audience', 'https://pubsub.googleapis.com/'),
      /NOT_A_SERVICE_ACCOUNT: .* Import a service-account key with `tokentray import-service-account FILE`\.$/m,
    );
  });

  it('a status reason an older version stored with a command-line hint is shown by no surface', async () => {
    await sandbox.core().accounts['registry'].update((data) => {
      data.accounts.push(
        record('legacy', {
          status: 'signin_required',
          statusReason: 'Google no longer accepts the refresh token. Sign in again with `tokentray login --login-hint legacy@example.test`.',
        }),
      );
    });
    const listed = (await sandbox.core().accounts.list()).find((a) => a.id === 'legacy')!;
    assert.deepEqual([listed.status, listed.statusReason], ['signin_required', undefined]);
  });

  it("SA_KEY_WRONG_TYPE: an OAuth client file or a user's ADC file given as a service-account key", async () => {
    const client = JSON.stringify({ installed: { client_id: 'x.apps.googleusercontent.com', client_secret: 's' } });
    const adc = JSON.stringify({ type: 'authorized_user', client_id: 'a', client_secret: 'b', refresh_token: 'c' });
    assert.match(
      await cli('import-service-account', await sandbox.writeFile('client.json', client)),
      /OAuth client file\. Use it with `tokentray login --client-secret-file FILE`\.$/m,
    );
    assert.match(
      await window('accounts:import-service-account', client),
      /OAuth client file\. Choose it as the OAuth client file in “Add account…” instead\.$/,
    );
    assert.match(
      await cli('import-service-account', await sandbox.writeFile('adc.json', adc)),
      /\(authorized_user\)\. Sign that user in with `tokentray login` instead\.$/m,
    );
    assert.match(await window('accounts:import-service-account', adc), /\(authorized_user\)\. Sign that user in with “Add account…” instead\.$/);
  });
});
