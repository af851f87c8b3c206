import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withFileLock } from '../electron/core/storage/file-lock.js';

describe('file lock', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tokentray-lock-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  // Stale after 600 ms, renewed every 200 ms: a holder working 2 s must keep its lock throughout.
  const options = (waitMs = 8000) => ({ staleMs: 600, waitMs, onFailure: (err: Error) => err });

  it('a slow holder keeps its lock past the stale time: it is renewed, never broken', async () => {
    const path = join(dir, 'slow.lock');
    let inside = 0;
    let overlap = false;
    const holder = (ms: number) => withFileLock(path, options(), async () => {
      inside++;
      if (inside > 1) overlap = true;
      await new Promise((r) => setTimeout(r, ms));
      inside--;
    });
    await Promise.all([holder(2000), holder(50), holder(50)]);
    assert.equal(overlap, false, 'never two holders at once');
  });

  it('times out a waiter with the caller\'s error', async () => {
    const path = join(dir, 'busy.lock');
    const busy = withFileLock(path, options(), () => new Promise((r) => setTimeout(r, 500)));
    await new Promise((r) => setTimeout(r, 20));
    await assert.rejects(withFileLock(path, options(100), async () => undefined), /held by another TokenTray process/);
    await busy;
  });
});
