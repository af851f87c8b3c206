import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStartPageUrl, startPagesDir, writeStartPage } from '../electron/core/oauth/start-page.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

const START = 'http://127.0.0.1:54321/start/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde';

describe('the private start page of a sign-in', () => {
  let sandbox: Sandbox;
  beforeEach(async () => (sandbox = await makeSandbox()));
  afterEach(async () => sandbox.cleanup());

  it('is readable by its owner only, sends the browser on to the start address, and goes with the attempt', async () => {
    const page = await writeStartPage(sandbox.home, START);
    const path = fileURLToPath(page.url);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(path))).mode & 0o777, 0o700);
    const html = await readFile(path, 'utf8');
    assert.ok(html.includes(`content="0;url=${START}"`) && html.includes(`location.replace("${START}")`));
    assert.ok(isStartPageUrl(page.url, sandbox.home));
    await page.remove();
    assert.deepEqual(await readdir(sandbox.home), [], 'the folder of start pages goes with the last one');
  });

  it('refuses anything but its own start address in the page', async () => {
    for (const bad of ['http://127.0.0.1:1/start/x"><script>alert(1)</script>', 'https://evil.invalid/start/abc', 'http://127.0.0.1:1/other']) {
      await assert.rejects(writeStartPage(sandbox.home, bad), TypeError, bad);
    }
  });

  it('sweeps pages a killed attempt left (dead pid, or older than an hour), never a live one', async () => {
    const base = startPagesDir(sandbox.home);
    await mkdir(join(base, '999999999-aaaaaa'), { recursive: true });
    await mkdir(join(base, `${process.pid}-bbbbbb`));
    await mkdir(join(base, `${process.pid}-cccccc`));
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(base, `${process.pid}-cccccc`), old, old);
    await mkdir(join(base, 'not-ours'));
    const page = await writeStartPage(sandbox.home, START);
    const left = (await readdir(base)).sort();
    assert.deepEqual(left, [`${process.pid}-bbbbbb`, dirname(fileURLToPath(page.url)).split('/').pop(), 'not-ours'].sort());
    await page.remove();
  });
});
