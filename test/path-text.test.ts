import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { binaryString } from './support/properties.js';
import { pathText } from '../electron/core/shared/sanitize.js';

describe('a path in one of our sentences (pathText)', () => {
  it('keeps a short path whole', () => {
    assert.equal(pathText('/home/ana/bin/token.sh'), '/home/ana/bin/token.sh');
  });

  it('shortens a long path in the middle, so its start and its file name are both shown', () => {
    const path = `/tmp/${'x'.repeat(200)}/tokentray-run.eJHEtB/exe/null.sh`;
    const shown = pathText(path);
    assert.ok(shown.startsWith('/tmp/xxx'), shown);
    assert.ok(shown.endsWith('/exe/null.sh'), shown);
    assert.equal(Array.from(shown).length, 121, 'at most the limit, plus the ellipsis');
    assert.match(shown, /…/);
  });

  it('never lets a line break or a hidden character through, whatever the path', () => {
    let long = 0;
    fc.assert(
      fc.property(binaryString({ maxLength: 400, size: 'max' }), (path) => {
        const shown = pathText(path);
        assert.doesNotMatch(shown, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
        if (Array.from(path).length > 120) long += 1;
      }),
      { numRuns: 500 },
    );
    assert.ok(long > 0, 'some generated paths were long enough to be shortened');
  });
});
