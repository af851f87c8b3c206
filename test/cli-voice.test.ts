import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { cliIo, runCommand } from '../electron/cli/command-runner.js';
import { dockerCredential } from '../electron/cli/commands/docker-credential.js';
import { errorLine, exitCodeFor } from '../electron/cli/failure.js';
import { readSecretFromStdin, readStdin, STDIN_LIMIT } from '../electron/cli/io.js';
import { run } from '../electron/cli/run.js';
import { packageVersion } from '../electron/cli/version.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { registerSecret } from '../electron/core/shared/logger.js';
import { CLI, makeSandbox, startCli, type Sandbox } from './support/sandbox.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOCKER_HELPER = join(dirname(CLI), 'docker-credential-tokentray.cjs');

/** stdin made of `size` bytes, in chunks as a pipe delivers them. */
const input = (text: string) => Readable.from([Buffer.from(text)]);

/** Runs the docker helper's command in-process on the CLI's I/O, as docker-credential-main.ts does. */
async function docker(sandbox: Sandbox, args: string[], stdin = '') {
  let stdout = '';
  let stderr = '';
  const io = cliIo({ env: sandbox.env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: input(stdin), core: () => sandbox.core() });
  const code = await runCommand(dockerCredential, args, io, { alsoOnStdout: true });
  return { code, stdout, stderr };
}

describe('one stdin reader: bounded, refusing more with a code', () => {
  it('reads up to the limit and refuses one byte more with INPUT_TOO_LARGE, never a cut input', async () => {
    assert.equal((await readStdin(input('a'.repeat(STDIN_LIMIT)), 'It')).length, STDIN_LIMIT);
    await assert.rejects(
      readStdin(input('a'.repeat(STDIN_LIMIT + 1)), 'It'),
      (err: TokenTrayError) => err.code === 'INPUT_TOO_LARGE' && /longer than 64 KB/.test(err.message),
    );
    // Split into many chunks, multi-byte characters across them: counted in bytes, decoded whole.
    const text = 'é'.repeat(STDIN_LIMIT / 2);
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: 9 }, (_, i) => bytes.subarray(Math.floor((i * bytes.length) / 9), Math.floor(((i + 1) * bytes.length) / 9)));
    assert.equal(await readStdin(Readable.from(chunks), 'It'), text);
    await assert.rejects(readStdin(Readable.from([...chunks, Buffer.from('x')]), 'It'), { code: 'INPUT_TOO_LARGE' });
  });

  it('a secret is the first line: what follows it does not count, a first line over the limit is refused', async () => {
    const io = (stdin: string) => ({ ...cliIo({ env: {} }), stdin: input(stdin), stderr: () => undefined });
    assert.equal(await readSecretFromStdin(io(`s3cret\r\n${'x'.repeat(STDIN_LIMIT * 2)}`), 'The client secret'), 's3cret');
    await assert.rejects(readSecretFromStdin(io('x'.repeat(STDIN_LIMIT + 1)), 'The client secret'), { code: 'INPUT_TOO_LARGE' });
    await assert.rejects(readSecretFromStdin(io(''), 'The client secret'), { code: 'USAGE' });
  });
});

describe('one error line and one exit-code policy', () => {
  it('every line is "tokentray: CODE: sentence", redacted; oneLine joins the lines for kubectl and docker', () => {
    const secret = `ya29.${'z'.repeat(40)}`;
    registerSecret(secret);
    assert.equal(errorLine('PROVIDER_ERROR', `The issuer said ${secret}.`), 'tokentray: PROVIDER_ERROR: The issuer said [REDACTED].\n');
    assert.equal(errorLine('USAGE', 'bad\nusage: x\n  Run y', { oneLine: true }), 'tokentray: USAGE: bad usage: x Run y\n');
    assert.equal(exitCodeFor(new TokenTrayError('USAGE', 'x')), 2);
    assert.equal(exitCodeFor(new TokenTrayError('INVALID_PROJECT', 'x')), 2);
    assert.equal(exitCodeFor(new TokenTrayError('INPUT_TOO_LARGE', 'x')), 1);
    assert.equal(exitCodeFor(new Error('bug')), 1);
  });

  it('no CLI source but failure.ts shapes a coded error line itself', async () => {
    const dir = join(root, 'electron', 'cli');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts') && f !== 'failure.ts');
    const offenders: string[] = [];
    for (const f of files) {
      const text = await readFile(join(dir, f), 'utf8');
      // `tokentray: ${code}:` or `tokentray: SOME_CODE: …` written by hand.
      // (The help's "tokentray: CODE: message" describes the shape.)
      if (/tokentray: (\$\{[^}]*code[^}]*\}|(?!CODE:)[A-Z][A-Z_]{2,}): /.test(text)) offenders.push(f);
    }
    assert.deepEqual(offenders, []);
  });
});

describe('docker-credential-tokentray, a command on the CLI I/O', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());

  it('refuses a registry address over 64 KB with INPUT_TOO_LARGE, on stdout (docker shows it) and stderr', async () => {
    const res = await docker(sandbox, ['get'], `gcr.io${'/x'.repeat(STDIN_LIMIT)}`);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^tokentray: INPUT_TOO_LARGE: /);
    assert.equal(res.stdout, res.stderr);
  });

  it('version is the package version; a usage error exits 2 with the usage in one line on stdout', async () => {
    const version = await docker(sandbox, ['version']);
    assert.equal(version.stdout, `docker-credential-tokentray (TokenTray) ${await packageVersion()}\n`);
    const bad = await docker(sandbox, ['bogus']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout.split('\n').length, 2, 'one line');
    assert.match(bad.stdout, /^tokentray: USAGE: unknown action "bogus" usage: docker-credential-tokentray/);
    assert.match(bad.stderr, /^tokentray: USAGE: unknown action "bogus"\nusage: /);
  });

  for (const how of ['a file', 'a pipe'] as const) {
    it(`the bundled helper refuses too much stdin (${how}) with exit 1, where it used to cut it at 64 KB`, async () => {
      const big = `gcr.io${'/x'.repeat(STDIN_LIMIT)}`;
      const env = { ...sandbox.env, TOKENTRAY_NO_AGENT: '1' };
      let res;
      if (how === 'a pipe') {
        // Written in pieces, so the fast path's synchronous read meets EAGAIN or the limit.
        const child = startCli(['get'], env, { stdin: 'pipe', command: [process.execPath, DOCKER_HELPER] });
        for (let i = 0; i < big.length; i += 10_000) child.stdin!.write(big.slice(i, i + 10_000));
        child.stdin!.end();
        res = await child.done;
      } else {
        const file = await sandbox.writeFile('registry.txt', big);
        res = await startCli(['get'], env, { command: ['sh', '-c', 'exec "$0" "$1" "$3" < "$2"', process.execPath, DOCKER_HELPER, file] }).done;
      }
      assert.equal(res.code, 1);
      assert.match(res.stderr, /^tokentray: INPUT_TOO_LARGE: /);
      assert.doesNotMatch(res.stdout, /credentials not found/);
    });
  }

  it('the bundled helper exits 2 on a usage error, as tokentray does', async () => {
    const res = await startCli(['bogus'], { ...sandbox.env, TOKENTRAY_NO_AGENT: '1' }, { command: [process.execPath, DOCKER_HELPER] }).done;
    assert.equal(res.code, 2);
    const cli = await run(['bogus-command'], { env: sandbox.env, stdout: () => undefined, stderr: () => undefined });
    assert.equal(cli, 2);
  });
});
