import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CredentialVault } from '../electron/core/storage/credential-vault.js';
import { KeytarSecretStore } from '../electron/core/storage/secret-store.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function sources(): Promise<Array<{ file: string; text: string }>> {
  const dir = join(root, 'electron');
  const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') })));
}

/** Every `new TokenTrayError('CODE', <literal sentence>` in electron/: the code and the sentence's source text. */
async function thrown(): Promise<Array<{ code: string; sentence: string; file: string }>> {
  const out: Array<{ code: string; sentence: string; file: string }> = [];
  for (const { file, text } of await sources()) {
    for (const m of text.matchAll(/new TokenTrayError\(\s*'([A-Z_]+)',\s*(`(?:[^`\\]|\\.)*`|'(?:[^'\\]|\\.)*'|[\w.]+)/g))
      out.push({ code: m[1], sentence: m[2], file });
  }
  return out;
}

/** The rows of docs/cli.md's "Error codes" table. */
async function documentedCodes(): Promise<string[]> {
  const doc = await readFile(join(root, 'docs', 'cli.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## Error codes'));
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
}

describe('error codes', () => {
  it('every code in ErrorCode and every code thrown or tested in electron/ has one row in docs/cli.md, and every row is a code', async () => {
    const errors = await readFile(join(root, 'electron', 'core', 'shared', 'errors.ts'), 'utf8');
    const union = [
      ...errors.slice(errors.indexOf('export type ErrorCode'), errors.indexOf(';', errors.indexOf('export type ErrorCode'))).matchAll(/'([A-Z_]+)'/g),
    ].map((m) => m[1]);
    assert.ok(union.length > 50, 'the union was read');
    const used = new Set(
      (await sources()).flatMap(({ text }) => [...text.matchAll(/(?:TokenTrayError\(\s*|isTokenTrayError\([^,()]+,\s*)'([A-Z_]+)'/g)].map((m) => m[1])),
    );
    const documented = await documentedCodes();
    assert.deepEqual(
      documented.filter((c, i) => documented.indexOf(c) !== i),
      [],
      'no code twice',
    );
    assert.deepEqual([...new Set([...union, ...used])].filter((c) => !documented.includes(c)).sort(), [], 'codes missing from docs/cli.md');
    assert.deepEqual(
      documented.filter((c) => !union.includes(c)),
      [],
      'rows that are no code',
    );
    assert.deepEqual(
      [...used].filter((c) => !union.includes(c)),
      [],
    );
  });

  /**
   * Each of these codes was once thrown for two different failures; now each names one family of
   * sentences, and a sentence of another family has a code of its own.
   */
  const FAMILIES: Record<string, { is: RegExp; isNot?: RegExp }> = {
    ACCOUNT_AMBIGUOUS: { is: /signed in at several issuers/, isNot: /OAuth client/ },
    CLIENT_AMBIGUOUS: { is: /OAuth clients at several issuers/ },
    CLIENT_REQUIRED: { is: /^`No OAuth client is known for/ },
    CLIENT_NOT_FOUND: { is: /^`No stored OAuth client/ },
    CLIENT_SECRET_MISSING: { is: /no longer holds the secret of OAuth client/ },
    SIGN_IN_NOT_FOR_SERVICE_ACCOUNTS: { is: /is a service account: it does not sign in/ },
    KEYCHAIN_ENTRY_MISSING: { is: /^(`The keychain holds no |reason$)/, isNot: /damaged|is not a/ },
    KEYCHAIN_ENTRY_DAMAGED: { is: /is damaged\.|is not a (workforce|workload) file/ },
    INVALID_ARGUMENT: { is: /.*/, isNot: /quitting/ },
    APP_QUITTING: { is: /is quitting/ },
    INVALID_ISSUER: { is: /^`The issuer /, isNot: /open|browser|page/ },
    EXTERNAL_URL_REFUSED: { is: /opens only Cloud Console pages/ },
  };
  for (const [code, family] of Object.entries(FAMILIES)) {
    it(`${code} is thrown for one kind of failure only`, async () => {
      const sites = (await thrown()).filter((t) => t.code === code);
      assert.ok(sites.length > 0, `${code} is thrown somewhere`);
      for (const site of sites) {
        assert.match(site.sentence, family.is, `${site.file}: ${site.sentence.slice(0, 100)}`);
        if (family.isNot) assert.doesNotMatch(site.sentence, family.isNot, `${site.file}: ${site.sentence.slice(0, 100)}`);
      }
    });
  }

  describe('in the keychain and the registry', () => {
    let sandbox: Sandbox;
    let raw: KeytarSecretStore;
    before(async () => {
      sandbox = await makeSandbox();
      raw = new KeytarSecretStore(sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE);
    });
    after(async () => {
      for (const key of ['account:damaged-user', 'sa-key:damaged-sa']) await raw.delete(key);
      await sandbox.cleanup();
    });

    it('a damaged item is KEYCHAIN_ENTRY_DAMAGED, a missing one is no error (undefined)', async () => {
      const vault = new CredentialVault(raw);
      await raw.set('account:damaged-user', '{"garbage"');
      await raw.set('sa-key:damaged-sa', '{"privateKey":1}');
      await assert.rejects(vault.getSecrets('damaged-user'), { code: 'KEYCHAIN_ENTRY_DAMAGED' });
      await assert.rejects(vault.getServiceAccountKey('damaged-sa'), { code: 'KEYCHAIN_ENTRY_DAMAGED' });
      assert.equal(await vault.getSecrets('never-stored'), undefined);
    });

    it('removing an OAuth client that is not stored is CLIENT_NOT_FOUND', async () => {
      await assert.rejects(sandbox.core().accounts.forgetClient('nope.apps.googleusercontent.com'), {
        code: 'CLIENT_NOT_FOUND',
        message: /No stored OAuth client/,
      });
    });
  });
});
