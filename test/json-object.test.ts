import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAuthorizedUser } from '../electron/core/google/adc.js';
import { parseFederationFile } from '../electron/core/google/external-account-file.js';
import { isFederationFile } from '../electron/core/google/federation-import.js';
import { parseServiceAccountKey } from '../electron/core/google/service-account.js';
import { addDockerCredHelpers } from '../electron/core/integrations/docker-credential.js';
import { parseClientSecretJson } from '../electron/core/oauth/client-file.js';
import { TokenTrayError } from '../electron/core/shared/errors.js';
import { parseJsonObject } from '../electron/core/shared/json-object.js';
import { AccountRegistry } from '../electron/core/accounts/account-registry.js';
import { chooseKeychain } from '../electron/core/storage/keychain-choice.js';

/** Texts that are not one JSON object; the canary must never show up in what is thrown. */
const CANARY = 'canary-secret-4711';
const NOT_OBJECTS = ['null', '[]', `["${CANARY}"]`, `"${CANARY}"`, '1', 'true', '', `{"k": "${CANARY}"`, `{"k": ${CANARY}}`, `${CANARY}`, '{"a":1}{}'];

/** Everything an error carries, its causes included. */
function everything(err: unknown): string {
  let out = '';
  for (let e = err as { message?: unknown; cause?: unknown; stack?: unknown } | undefined; e; e = e.cause as typeof e)
    out += `${String(e.message)}\n${String(e.stack)}\n${JSON.stringify(e)}\n`;
  return out;
}

/** Every reader of a JSON-object file, by the code it refuses a bad one with. */
function readers(dir: string): Array<{ name: string; code: string; read: (text: string) => Promise<unknown> }> {
  const inFile = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  return [
    { name: 'client file', code: 'CLIENT_FILE_INVALID', read: async (t) => parseClientSecretJson(t) },
    { name: 'ADC file', code: 'ADC_FILE_INVALID', read: async (t) => parseAuthorizedUser(t, 'adc.json') },
    { name: 'service-account key', code: 'SA_KEY_INVALID', read: (t) => parseServiceAccountKey(t) },
    { name: 'federation file', code: 'ADC_FILE_INVALID', read: async (t) => parseFederationFile(t, 'wl.json') },
    { name: 'keychain choice', code: 'KEYCHAIN_CHOICE_INVALID', read: async (t) => (await inFile('config.json', t), chooseKeychain({}, dir)) },
    { name: 'account registry', code: 'REGISTRY_CORRUPT', read: async (t) => (await inFile('accounts.json', t), new AccountRegistry(dir).load()) },
    {
      name: 'docker config',
      code: 'DOCKER_CONFIG_INVALID',
      read: async (t) => (await inFile('docker/config.json', t), addDockerCredHelpers({ DOCKER_CONFIG: join(dir, 'docker') }, ['gcr.io'])),
    },
  ];
}

describe('one reader for JSON-object files (issue 19 §3)', () => {
  it('parseJsonObject: an object, or the problem without the text', () => {
    assert.deepEqual(
      parseJsonObject('{"a":[1]}', () => new Error('no')),
      { a: [1] },
    );
    for (const text of NOT_OBJECTS) {
      let problem = '';
      assert.throws(
        () => parseJsonObject(text, (p, why) => ((problem = p), new Error(why))),
        (err: Error) => !err.message.includes(CANARY),
        text,
      );
      assert.equal(problem, /^(null|\[.*\]|".*"|1|true)$/.test(text) ? 'not-object' : 'not-json', text);
    }
  });

  it('every reader refuses what is not one JSON object with its own code, and never repeats the text', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'json-object-'));
    try {
      await mkdir(join(dir, 'docker'));
      for (const reader of readers(dir)) {
        for (const text of NOT_OBJECTS) {
          if (reader.name === 'docker config' && text === '') continue; // docker's own reading: an empty config is an empty one
          const err = await reader.read(text).then(
            () => undefined,
            (e: unknown) => e,
          );
          assert.ok(err instanceof TokenTrayError, `${reader.name} took ${JSON.stringify(text)}: ${String(err)}`);
          assert.match(err.code, new RegExp(`^${reader.code}`), `${reader.name}, ${JSON.stringify(text)}: ${err.message}`);
          assert.ok(!everything(err).includes(CANARY), `${reader.name} repeated the text of ${JSON.stringify(text)}: ${everything(err)}`);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a federation file is recognised only when it is an object of a federation type', () => {
    assert.equal(isFederationFile('{"type":"external_account"}'), true);
    for (const text of [...NOT_OBJECTS, '{"type":"authorized_user"}']) assert.equal(isFederationFile(text), false, text);
  });
});
