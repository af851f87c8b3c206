import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientFromFlags, parseClientSecretJson } from '../electron/core/oauth/client-file.js';

const installed = {
  client_id: '123-abc.apps.googleusercontent.com',
  project_id: 'demo',
  auth_uri: 'https://accounts.google.com/o/oauth2/auth',
  token_uri: 'https://oauth2.googleapis.com/token',
  auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
  client_secret: 'GOCSPX-not-a-real-secret',
  redirect_uris: ['http://localhost'],
};

describe('client file parser', () => {
  it('reads a Desktop app (installed) client', () => {
    assert.deepEqual(parseClientSecretJson(JSON.stringify({ installed })), { clientId: installed.client_id, clientSecret: installed.client_secret });
  });

  it('names each wrong file', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ web: installed }, 'CLIENT_FILE_WEB_CLIENT', /Web application.*Desktop app/],
      [{ type: 'service_account', private_key: 'x' }, 'CLIENT_FILE_WRONG_TYPE', /service-account key/],
      [{ type: 'authorized_user', refresh_token: 'x' }, 'CLIENT_FILE_WRONG_TYPE', /authorized_user/],
      [{ type: 'external_account' }, 'CLIENT_FILE_WRONG_TYPE', /external_account/],
      [{}, 'CLIENT_FILE_INVALID', /no "installed" section/],
      [[installed], 'CLIENT_FILE_INVALID', /JSON object/],
      [null, 'CLIENT_FILE_INVALID', /JSON object/],
      [{ installed: { ...installed, client_id: '' } }, 'CLIENT_FILE_INVALID', /client_id/],
      [{ installed: { ...installed, client_id: 7 } }, 'CLIENT_FILE_INVALID', /client_id/],
      [{ installed: { ...installed, client_secret: 7 } }, 'CLIENT_FILE_INVALID', /client_secret/],
    ];
    for (const [doc, code, message] of cases) {
      assert.throws(
        () => parseClientSecretJson(JSON.stringify(doc), 'f.json'),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, code, JSON.stringify(doc));
          assert.match(err.message, message);
          assert.match(err.message, /^f\.json: /);
          return true;
        },
      );
    }
    assert.throws(() => parseClientSecretJson('{"installed":', 'f.json'), { code: 'CLIENT_FILE_INVALID_JSON' });
    assert.throws(() => parseClientSecretJson('', 'f.json'), { code: 'CLIENT_FILE_INVALID_JSON' });
  });

  it('takes id and secret given directly', () => {
    assert.deepEqual(clientFromFlags('id', 'secret'), { clientId: 'id', clientSecret: 'secret' });
    assert.deepEqual(clientFromFlags('id', undefined), { clientId: 'id' });
    assert.equal(clientFromFlags(undefined, undefined), undefined);
    assert.throws(() => clientFromFlags(undefined, 'secret'), { code: 'USAGE' });
  });
});
