import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consoleUrl } from '../electron/core/google/console-url.js';
import { signInThroughCore } from './support/flows.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCliInProcess, type Sandbox } from './support/sandbox.js';

describe('tokentray console: the Cloud Console as this account', () => {
  let idp: TestIdp;
  let sandbox: Sandbox;
  let env: Record<string, string>;
  let argvFile: string;

  before(async () => {
    idp = await startTestIdp({ mode: 'google' });
    sandbox = await makeSandbox();
    const core = sandbox.core();
    await signInThroughCore(core, idp, 'lee@example.test');
    await signInThroughCore(core, idp, 'kim@example.test');
    // A desktop session whose opener records what it was asked to open.
    const bin = await sandbox.dir('bin');
    argvFile = join(bin, 'argv');
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${argvFile}'\n`);
    await chmod(join(bin, 'xdg-open'), 0o700);
    env = { ...sandbox.env, PATH: `${bin}:${process.env.PATH}`, DISPLAY: ':0' };
    delete env.SSH_CONNECTION;
    delete env.TOKENTRAY_ACCOUNT;
  });
  after(async () => {
    await sandbox.cleanup();
    await idp.close();
  });

  it("opens console.cloud.google.com with authuser and the account's project through the login opener", async () => {
    assert.equal((await runCliInProcess(['configure', 'kim@example.test', '--project', 'proj-kim'], env)).code, 0);
    const res = await runCliInProcess(['console', '--account', 'kim@example.test', 'run'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(await readFile(argvFile, 'utf8'), 'https://console.cloud.google.com/run?project=proj-kim&authuser=kim%40example.test\n');
    const printed = await runCliInProcess(['console', '--account', 'lee@example.test', '--project', 'proj-other', '--print', 'iam-admin/iam'], env);
    assert.equal(printed.stdout, 'https://console.cloud.google.com/iam-admin/iam?project=proj-other&authuser=lee%40example.test\n');
    assert.equal((await readFile(argvFile, 'utf8')).split('\n').length, 2, '--print opened nothing');
    // Impersonation set: still the signed-in user.
    assert.equal(
      (await runCliInProcess(['configure', 'lee@example.test', '--impersonate-service-account', 'deployer@proj-x1.iam.gserviceaccount.com'], env)).code,
      0,
    );
    assert.match(
      (await runCliInProcess(['console', '--account', 'lee@example.test', '--print'], env)).stdout,
      /^https:\/\/console\.cloud\.google\.com\/\?authuser=lee%40example\.test\n$/,
    );
    // Over SSH the address is printed instead.
    const ssh = await runCliInProcess(['console', '--account', 'lee@example.test'], { ...env, SSH_CONNECTION: '127.0.0.1 1 127.0.0.1 22' });
    assert.match(ssh.stdout, /^https:\/\/console\.cloud\.google\.com\/\?authuser=lee%40example\.test$/m);
  });

  it('refuses service accounts, other issuers, bad projects and paths that leave the Console', () => {
    assert.throws(() => consoleUrl({ kind: 'service_account', email: 'sa@p1.iam.gserviceaccount.com', subject: '1', flavor: 'google' }), {
      code: 'CONSOLE_NOT_FOR_SERVICE_ACCOUNTS',
    });
    assert.throws(() => consoleUrl({ kind: 'user', email: 'a@b.test', subject: '1', flavor: 'oidc' }), { code: 'CONSOLE_GOOGLE_ONLY' });
    const user = { kind: 'user' as const, email: 'a@b.test', subject: '1', flavor: 'google' as const };
    assert.throws(() => consoleUrl(user, { project: 'Bad Project' }), { code: 'INVALID_PROJECT' });
    for (const path of ['https://evil.invalid/', '../x', 'a/../../b', 'javascript:alert(1)', '\\\\evil.invalid']) {
      assert.throws(() => consoleUrl(user, { path }), { code: 'INVALID_ARGUMENT' }, path);
    }
    assert.ok(
      consoleUrl(user, { path: '//evil.invalid/x' }).startsWith('https://console.cloud.google.com/evil.invalid/x?'),
      'a scheme-relative path stays on the Console',
    );
    assert.equal(consoleUrl(user, { path: '/logs/query?x=1#y' }), 'https://console.cloud.google.com/logs/query?authuser=a%40b.test');
  });
});
