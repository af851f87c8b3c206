/**
 * When the agent answers with a failure, the CLI shows it exactly as its normal path would: same
 * code, sentence, remedy and exit code. In process: an agent served by this process for the file
 * vault, and the CLI (its fast path, then `run` as tokentray.ts chains them) without the
 * passphrase, so that only the agent can reach the tokens; "the normal path" is `run` with the
 * passphrase and no agent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { answerFromAgent } from '../electron/cli/agent-fast.js';
import { describeForCli } from '../electron/cli/remedies.js';
import { run } from '../electron/cli/run.js';
import { serveAgent, type RunningAgent } from '../electron/core/agent/agent.js';
import { agentFailure, PROTOCOL_VERSION } from '../electron/core/agent/protocol.js';
import { createCore, type Core } from '../electron/core/core.js';
import { TokenTrayError, type ErrorFacts } from '../electron/core/shared/errors.js';
import { noteSecret } from './support/canary.js';
import { expireCache, revokeAtIdp, signInThroughCore } from './support/flows.js';
import { useIdpAndSandbox } from './support/fixtures.js';
import { startTestIdp } from './support/idp.js';
import { CLI } from './support/sandbox.js';
import { runTool } from './support/tools.js';

const DOCKER_HELPER = join(dirname(CLI), 'docker-credential-tokentray.cjs');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runCaptured(argv: string[], env: Record<string, string>, askAgentFirst: boolean): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { env, askAgentFirst, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe("the agent's failures are the CLI's own (file vault, the CLI without its passphrase)", () => {
  const fx = useIdpAndSandbox({ mode: 'google' });
  const passphrase = `agent-errors-${randomBytes(12).toString('hex')}`;
  let runtime: string;
  let withPassphrase: Record<string, string>;
  let cliEnv: Record<string, string>;
  let core: Core;
  let agent: RunningAgent;

  /** The shipped command's chain (tokentray.ts): the fast path, then the CLI proper as it says. */
  async function throughAgent(argv: string[]): Promise<Outcome> {
    const fast = await answerFromAgent(argv, cliEnv);
    if (fast.text !== undefined) return { code: 0, stdout: fast.text, stderr: '' };
    return runCaptured(argv, cliEnv, fast.askAgain);
  }

  before(async () => {
    fx.sandbox.env.TOKENTRAY_KEYCHAIN = 'file';
    delete fx.sandbox.env.DBUS_SESSION_BUS_ADDRESS;
    noteSecret(passphrase);
    runtime = await mkdtemp('/tmp/tte-'); // a socket path fits in 108 bytes, whatever TMPDIR is
    cliEnv = { ...fx.sandbox.env, XDG_RUNTIME_DIR: runtime };
    withPassphrase = { ...cliEnv, TOKENTRAY_FILE_PASSPHRASE: passphrase };
    core = createCore({ env: withPassphrase });
    await signInThroughCore(core, fx.idp, 'ada@example.test');
    agent = await serveAgent({ core, env: withPassphrase, store: 'file', servedBy: 'agent' });
  });
  after(async () => {
    await agent.stop();
    await rm(runtime, { recursive: true, force: true });
    fx.sandbox.env.TOKENTRAY_FILE_PASSPHRASE = passphrase; // the sandbox's secret canary opens the vault
  });

  it("the CLI alone cannot reach the vault (what makes the cases below the agent's)", async () => {
    const alone = await runCaptured(['print-access-token'], cliEnv, false);
    assert.equal(alone.code, 1);
    assert.match(alone.stderr, /^tokentray: VAULT_PASSPHRASE_REQUIRED: /);
    const served = await throughAgent(['print-access-token']);
    assert.equal(served.code, 0, served.stderr);
  });

  it('an unknown account: ACCOUNT_NOT_FOUND, its sentence and remedy, exit 1', async () => {
    for (const argv of [
      ['print-access-token', '--account', 'nobody@example.test'],
      ['kube-credential', '--account', 'nobody@example.test'],
      ['print-identity-token', '--account', 'nobody@example.test'],
    ]) {
      const normal = await runCaptured(argv, withPassphrase, false);
      assert.match(normal.stderr, /^tokentray: ACCOUNT_NOT_FOUND: .*`tokentray accounts`/);
      assert.deepEqual(await throughAgent(argv), normal, argv.join(' '));
    }
  });

  it('REAUTH_REQUIRED found by the agent at its refresh: the same code, sentence, remedy and exit code', async () => {
    const bob = await signInThroughCore(core, fx.idp, 'bob@example.test');
    const secrets = await core.accounts['vault'].getSecrets(bob.id);
    await revokeAtIdp(fx.idp, secrets!.refreshToken);
    await expireCache(core, bob.id);
    const argv = ['print-access-token', '--account', 'bob@example.test'];
    const viaAgent = await throughAgent(argv); // the agent refreshes, is refused, marks the account
    const normal = await runCaptured(argv, withPassphrase, false);
    assert.match(normal.stderr, /^tokentray: REAUTH_REQUIRED: .*Sign in again with `tokentray login --login-hint bob@example.test`/);
    assert.equal(normal.code, 1);
    assert.deepEqual(viaAgent, normal);
  });

  it("a failure only the agent can meet (its issuer gone): the normal path's error, not the vault's", async () => {
    const gone = await startTestIdp({ mode: 'oidc' });
    let closed = false;
    try {
      const carol = await signInThroughCore(core, gone, 'carol@example.test');
      await expireCache(core, carol.id);
      await gone.close();
      closed = true;
      const argv = ['print-access-token', '--account', 'carol@example.test'];
      const viaAgent = await throughAgent(argv);
      const normal = await runCaptured(argv, withPassphrase, false);
      assert.equal(normal.code, 1);
      assert.match(normal.stderr, /^tokentray: (PROVIDER_UNREACHABLE|DISCOVERY_FAILED): /);
      assert.deepEqual(viaAgent, normal);
      // The shipped docker helper (a whole process): the agent's failure, not the vault it cannot open.
      await writeFile(join(cliEnv.TOKENTRAY_HOME, 'docker-registries.json'), JSON.stringify({ 'gcr.io': {} }));
      const docker = await runTool(process.execPath, [DOCKER_HELPER, 'get'], { ...cliEnv, TOKENTRAY_ACCOUNT: 'carol@example.test' }, 'https://gcr.io\n');
      assert.equal(docker.code, 1, docker.stdout + docker.stderr);
      assert.equal(/^tokentray: ([A-Z_]+):/.exec(docker.stderr)?.[1], /^tokentray: ([A-Z_]+):/.exec(normal.stderr)?.[1], docker.stderr);
      assert.doesNotMatch(docker.stderr, /VAULT_PASSPHRASE_REQUIRED/);
    } finally {
      if (!closed) await gone.close();
    }
  });

  it('answers with which the agent says it cannot serve are not shown: the client goes on without it', () => {
    for (const code of [
      'AGENT_REFUSED',
      'AGENT_VERSION',
      'AGENT_BAD_REQUEST',
      'KEYCHAIN_UNAVAILABLE',
      'VAULT_PASSPHRASE_REQUIRED',
      'INTERNAL',
      'lower',
      'A\nB',
      'X'.repeat(65),
    ]) {
      assert.equal(agentFailure({ v: PROTOCOL_VERSION, ok: false, code, message: 'no' }), undefined, code);
    }
    assert.equal(agentFailure({ v: PROTOCOL_VERSION, ok: false, code: 'REAUTH_REQUIRED', message: 'two\nlines' }), undefined);
    // Only the known facts, each bounded and printable, come across.
    const failure = agentFailure({
      v: PROTOCOL_VERSION,
      ok: false,
      code: 'REAUTH_REQUIRED',
      message: 'Sign in.',
      facts: { remedy: 'sign-in-again', account: 'a@example.test', pid: 7, path: 'x\u001b[2J', extra: 'no' } as never,
    });
    assert.deepEqual(failure, { code: 'REAUTH_REQUIRED', message: 'Sign in.', facts: { remedy: 'sign-in-again', account: 'a@example.test', pid: 7 } });
    // A remedy this CLI has no words for (an agent of another version): the sentence alone, no crash.
    assert.equal(
      describeForCli(new TokenTrayError('REAUTH_REQUIRED', 'Sign in.', { facts: { remedy: 'sign-in-on-mars' } as unknown as ErrorFacts })),
      'Sign in.',
    );
  });
});
