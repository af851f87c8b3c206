/**
 * The in-process CLI runner (runCliInProcess) that most CLI tests use runs the same code as the
 * shipped bin: for one set of invocations, the bin in its own process and run() in this one print
 * the same bytes and end with the same exit code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { makeSandbox, runCli, runCliInProcess, type Sandbox } from './support/sandbox.js';
import { serviceAccountKey } from './support/service-account-key.js';

describe('the CLI in process is the bin', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());

  const invocations: string[][] = [
    [],
    ['--help'],
    ['--version'],
    ['help', 'login'],
    ['logn'],
    ['accounts'],
    ['accounts', '--json'],
    ['configure', 'a@example.test', '--projcet', 'p'],
    ['kube-credential', '--acount', 'x'],
    ['print-access-token', '--account', 'nobody@example.test'],
    ['login', '--issuer', 'notaurl', '--client-id', 'x', '--no-browser'],
    ['__complete', '--', 'log'],
  ];
  for (const argv of invocations) {
    it(`tokentray ${argv.join(' ') || '(no arguments)'}: same exit code, stdout and stderr`, async () => {
      const bin = await runCli(argv, sandbox.env);
      const inProcess = await runCliInProcess(argv, sandbox.env);
      assert.deepEqual(inProcess, bin);
    });
  }

  it('a keychain choice it does not know: the same KEYCHAIN_CHOICE_INVALID in process as from the bin', async () => {
    const env = { ...sandbox.env, TOKENTRAY_KEYCHAIN: 'plaintext' };
    const key = await sandbox.writeFile('sa.json', JSON.stringify(serviceAccountKey()));
    const bin = await runCli(['import-service-account', key], env);
    assert.match(bin.stderr, /^tokentray: KEYCHAIN_CHOICE_INVALID: /);
    assert.deepEqual(await runCliInProcess(['import-service-account', key], env), bin);
  });

  it('reads `-` from the stdin it is given, and an empty one when given none (as runCli)', async () => {
    const big = 'x'.repeat(4000);
    const res = await runCliInProcess(['login', '--issuer', 'https://idp.invalid', '--client-id', 'x', '--client-secret', '-', '--no-browser'], sandbox.env, {
      stdin: `${big}\n`,
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: PROVIDER_UNREACHABLE: /, 'the secret was read (the sign-in went on to the issuer)');
    const empty = await runCliInProcess(['login', '--issuer', 'https://idp.invalid', '--client-id', 'x', '--client-secret', '-', '--no-browser'], sandbox.env);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^tokentray: USAGE: Client secret was to be read from stdin \(-\), but stdin was empty\.$/m);
  });

  it('a memory sandbox: its cores and in-process runs share one store, under the Windows size limit', async () => {
    const memory = await makeSandbox({ secrets: 'memory' });
    try {
      const store = memory.store!;
      await assert.rejects(store.set('big', 'x'.repeat(2561)), { code: 'KEYCHAIN_UNAVAILABLE' });
      await memory.core().accounts['registry'].update((d) => void (d.accounts = []));
      await store.set('probe', 'seen');
      assert.equal(await memory.core().accounts['vault'].store.get('probe'), 'seen');
      const res = await runCliInProcess(['accounts', '--json'], memory.env, { store });
      assert.deepEqual([res.code, res.stdout], [0, '[]\n']);
      await store.delete('probe');
    } finally {
      await memory.cleanup();
    }
  });
});
