import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationPrompt, resolveProviderProfile } from '../electron/core/oauth/provider-profile.js';
import { normalizeScopes, parseScopeList, scopeKey } from '../electron/core/oauth/scopes.js';
import { signInScopes } from '../electron/core/oauth/sign-in.js';

describe('provider profile', () => {
  it('defaults to Google with the google flavor', () => {
    assert.deepEqual(resolveProviderProfile(), { issuer: 'https://accounts.google.com', flavor: 'google' });
    assert.deepEqual(resolveProviderProfile('https://accounts.google.com/'), { issuer: 'https://accounts.google.com', flavor: 'google' });
  });

  it('uses the oidc flavor for other issuers, overridable either way', () => {
    assert.deepEqual(resolveProviderProfile('https://login.example.com/realms/dev'), { issuer: 'https://login.example.com/realms/dev', flavor: 'oidc' });
    assert.equal(resolveProviderProfile('http://127.0.0.1:4000', 'google').flavor, 'google');
    assert.equal(resolveProviderProfile('https://accounts.google.com', 'oidc').flavor, 'oidc');
  });

  it('accepts plain http only on loopback', () => {
    for (const ok of ['http://127.0.0.1:4000', 'http://localhost:4000', 'http://[::1]:4000', 'http://127.1.2.3']) {
      assert.equal(resolveProviderProfile(ok).issuer.startsWith('http://'), true, ok);
    }
    for (const bad of ['http://example.com', 'http://10.0.0.1', 'http://127.0.0.1.nip.io', 'http://localhost.example.com']) {
      assert.throws(() => resolveProviderProfile(bad), { code: 'INSECURE_ISSUER' }, bad);
    }
  });

  it('asks Google for its account chooser and consent; other issuers for consent', () => {
    assert.equal(authorizationPrompt(resolveProviderProfile()), 'select_account consent');
    assert.equal(authorizationPrompt(resolveProviderProfile('https://login.example.com')), 'consent');
  });

  it('refuses what is not an issuer URL', () => {
    for (const bad of ['accounts.google.com', 'ftp://example.com', 'https://example.com/?x=1', 'https://u:p@example.com', '']) {
      assert.throws(
        () => resolveProviderProfile(bad),
        (err: Error & { code?: string }) => err.code === 'INVALID_ISSUER',
        bad,
      );
    }
  });
});

describe('scopes', () => {
  it('expands Google short names for the google flavor only', () => {
    assert.deepEqual(normalizeScopes(['openid', 'email', 'cloud-platform', 'https://www.googleapis.com/auth/drive', 'cloud-platform'], 'google'), [
      'openid',
      'email',
      'https://www.googleapis.com/auth/cloud-platform',
      'https://www.googleapis.com/auth/drive',
    ]);
    assert.deepEqual(normalizeScopes(['api:read', 'cloud-platform'], 'oidc'), ['api:read', 'cloud-platform']);
  });

  it('parses comma or space separated lists and keys them by set', () => {
    assert.deepEqual(parseScopeList('a, b c,,d'), ['a', 'b', 'c', 'd']);
    assert.equal(scopeKey(['b', 'a', 'b']), scopeKey(['a', 'b']));
  });

  it('always asks openid; offline_access only for the oidc flavor', () => {
    assert.deepEqual(signInScopes({ issuer: 'https://accounts.google.com', flavor: 'google' }), [
      'openid',
      'email',
      'https://www.googleapis.com/auth/cloud-platform',
    ]);
    assert.deepEqual(signInScopes({ issuer: 'https://accounts.google.com', flavor: 'google' }, ['drive.readonly']), [
      'openid',
      'https://www.googleapis.com/auth/drive.readonly',
    ]);
    assert.deepEqual(signInScopes({ issuer: 'https://id.example.com', flavor: 'oidc' }, ['profile']), ['openid', 'profile', 'offline_access']);
  });
});
