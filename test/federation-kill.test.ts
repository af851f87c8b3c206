/**
 * `adc import` of a federation file, as a whole `tokentray` process SIGKILLed just before each of
 * its writes: the next process lists the account and it gives tokens, or nothing of it is left in
 * the keychain (a workforce file holds a refresh token and a client secret). Against the STS
 * stand-in on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGoogleSim, type GoogleSim } from './support/google-sim.js';
import { killAtWriteEnv, makeSandbox, runCli, type Sandbox } from './support/sandbox.js';
import { keychainItems } from './support/windows-keychain.js';

const WF_AUDIENCE = '//iam.googleapis.com/locations/global/workforcePools/kill-pool/providers/okta';
const WL_AUDIENCE = '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/kill-pool/providers/github';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

describe('adc import of a federation file, killed at each of its writes', () => {
  let sim: GoogleSim;
  let sandbox: Sandbox;
  before(async () => {
    sim = await startGoogleSim();
    sandbox = await makeSandbox();
  });
  after(async () => {
    await sandbox.cleanup();
    await sim.close();
  });

  const killedAtWrite = (args: string[], n: number) => runCli(args, killAtWriteEnv(sandbox.env, n));

  /** Keychain items that belong to no listed account (OAuth clients aside): what a killed import must not leave. */
  async function unlistedItems(): Promise<string[]> {
    const listed = (await sandbox.core().accounts.list()).map((a) => a.id);
    const keys = (await keychainItems(sandbox.env.TOKENTRAY_KEYCHAIN_SERVICE)).map((i) => i.key);
    return keys.filter((k) => !k.startsWith('client:') && !listed.some((id) => k.includes(id)));
  }

  /** Imports `fileFor(n)` killed at write n = 1, 2, …, until an import finishes; returns the kills. */
  async function importKilledAtEachWrite(fileFor: (n: number) => Promise<string>, subject: RegExp): Promise<number> {
    let kills = 0;
    for (let n = 1; ; n++) {
      const res = await killedAtWrite(['adc', 'import', await fileFor(n)], n);
      // The next process (its listing finishes what a killed one left) sees the account, or nothing of it.
      const accounts = await sandbox.core().accounts.list();
      const account = accounts.find((a) => subject.test(a.subject));
      assert.deepEqual(await unlistedItems(), [], `nothing unlisted is left after a kill at write ${n}`);
      if (account) {
        const token = await runCli(['print-access-token', '--account', account.id], sandbox.env);
        assert.equal(token.code, 0, `listed after a kill at write ${n}, and works: ${token.stderr}`);
      }
      if (res.code === 0) {
        assert.ok(account, 'an import that finished lists its account');
        return kills;
      }
      assert.equal(res.code, null, `killed at write ${n}, not failed: ${res.stderr}`);
      kills++;
      if (account) await runCli(['logout', account.id], sandbox.env);
    }
  }

  it('a workforce file (refresh token, client secret): listed and working, or gone without a trace', async () => {
    const principal = 'principal://iam.googleapis.com/locations/global/workforcePools/kill-pool/subject/kim@acme.test';
    // A new grant for each attempt: the first refresh rotates the file's refresh token away.
    const fileFor = (n: number) =>
      sandbox.writeFile(
        `wf-kill-${n}.json`,
        JSON.stringify({
          type: 'external_account_authorized_user',
          audience: WF_AUDIENCE,
          refresh_token: sim.addWorkforce({ clientId: 'wf-kill', clientSecret: 'wf-kill-secret', audience: WF_AUDIENCE, principal }),
          token_url: `${sim.origin}/v1/oauthtoken`,
          token_info_url: `${sim.origin}/v1/introspect`,
          client_id: 'wf-kill',
          client_secret: 'wf-kill-secret',
        }),
      );
    const kills = await importKilledAtEachWrite(fileFor, /kim@acme\.test$/);
    assert.ok(kills >= 2, `the import writes its items, then its record (${kills} kills)`);
    await runCli(['logout', principal], sandbox.env);
  });

  it('a workload file: listed and working, or gone without a trace', async () => {
    const subjectFile = await sandbox.writeFile('kill-subject.jwt', 'eyJ.kill-subject.sig');
    sim.addWorkload({ audience: WL_AUDIENCE, subjectTokenType: JWT_TYPE, subjectToken: 'eyJ.kill-subject.sig', principal: 'principal://ci/kill' });
    const file = await sandbox.writeFile(
      'wl-kill.json',
      JSON.stringify({
        type: 'external_account',
        audience: WL_AUDIENCE,
        subject_token_type: JWT_TYPE,
        token_url: `${sim.origin}/v1/token`,
        credential_source: { file: subjectFile },
      }),
    );
    const kills = await importKilledAtEachWrite(() => Promise.resolve(file), /kill-pool/);
    assert.ok(kills >= 2, `the import writes its items, then its record (${kills} kills)`);
  });
});
