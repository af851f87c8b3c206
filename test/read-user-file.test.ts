/**
 * readBoundedFile reads to the end, not to the size fstat gave: files whose size says 0 (Linux's
 * /proc) or that grow while read are read whole, and refused once they pass the limit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readBoundedFile } from '../electron/core/storage/read-user-file.js';
import { isTokenTrayError } from '../electron/core/shared/errors.js';

describe('readBoundedFile beyond the size fstat gives (Linux /proc)', () => {
  it('reads a file whose size says 0 to its end', async () => {
    const text = await readBoundedFile('/proc/self/status');
    assert.match(text, /^Name:\t/);
    assert.match(text, /\nPid:\t\d+\n/);
    // Another read of the same kind of file, for the length: both are this process's status.
    assert.equal(text.split('\n')[0], readFileSync('/proc/self/status', 'utf8').split('\n')[0]);
    assert.ok(text.length > 64, `${text.length} characters`);
  });

  it('refuses one that passes the limit while read, and reads one that stays within it', async () => {
    const length = (await readBoundedFile('/proc/self/status')).length;
    await assert.rejects(readBoundedFile('/proc/self/status', 100), (err) => isTokenTrayError(err) && err.code === 'FILE_TOO_LARGE');
    assert.ok((await readBoundedFile('/proc/self/status', length + 200)).length > 100);
  });
});
