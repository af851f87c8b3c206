import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../electron/cli/run.js';
import { startMetadataServer } from '../electron/core/integrations/metadata-server.js';
import { makeSandbox, type Sandbox } from './support/sandbox.js';

/** Ids that would break a line, a shell command, or a header if passed on. */
const HOSTILE = ['my-project\nEVIL=1', 'my-project;touch pwned', `p${'a'.repeat(199)}`];

describe('a project id is checked by one rule wherever it is given', () => {
  let sandbox: Sandbox;
  before(async () => (sandbox = await makeSandbox()));
  after(async () => sandbox.cleanup());

  async function cli(...argv: string[]) {
    let stderr = '';
    const code = await run(argv, { env: sandbox.env, stdout: () => undefined, stderr: (t) => (stderr += t), core: () => sandbox.core() });
    return { code, stderr };
  }

  for (const id of HOSTILE) {
    const shown = JSON.stringify(id.slice(0, 20));
    it(`configure --project, exec --project-id and metadata-server --project-id refuse ${shown}… with exit 2, before anything runs`, async () => {
      const marker = join(sandbox.root, 'ran');
      const runs = [
        { argv: ['configure', 'a@example.test', '--project', id], flag: '--project' },
        { argv: ['exec', '--project-id', id, '--', 'sh', '-c', `echo "$CLOUDSDK_CORE_PROJECT" > '${marker}'`], flag: '--project-id' },
        { argv: ['metadata-server', '--project-id', id], flag: '--project-id' },
      ];
      for (const { argv, flag } of runs) {
        const res = await cli(...argv);
        assert.equal(res.code, 2, `${argv[0]}: ${res.stderr}`);
        assert.match(res.stderr, new RegExp(`^tokentray: USAGE: ${flag}: ".*" is not a Google Cloud project id`), argv[0]);
        // The id is quoted escaped: its line break does not start a line of its own.
        assert.equal(res.stderr.split('\n')[0].includes('EVIL=1'), id.includes('EVIL'), argv[0]);
      }
      assert.equal(existsSync(marker), false, 'exec started nothing');
    });

    it(`core's metadata server refuses to answer with ${shown}…, whoever starts it`, async () => {
      await assert.rejects(startMetadataServer({ core: sandbox.core(), account: 'any', projectId: id }), { code: 'INVALID_PROJECT' });
    });
  }
});
