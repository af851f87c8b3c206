import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { startLoopbackListener } from '../electron/core/oauth/loopback-listener.js';

function send(url: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback redirect listener', () => {
  it('binds 127.0.0.1 on a free port and answers only GET / with the expected state', async () => {
    const listener = await startLoopbackListener({ expectedState: 'expected-state', timeoutMs: 10_000 });
    try {
      assert.match(listener.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const base = listener.redirectUri;
      const stray = [
        [`${base}favicon.ico`, 'GET'],
        [`${base}?code=c&state=other`, 'GET'],
        [`${base}?code=c`, 'GET'],
        [`${base}?code=c&state=expected-state&state=expected-state`, 'GET'],
        [`${base}callback?code=c&state=expected-state`, 'GET'],
        [`${base}?code=c&state=expected-state`, 'POST'],
      ] as const;
      for (const [url, method] of stray) {
        const res = await send(url, method);
        assert.equal(res.status, 400, `${method} ${url}`);
        assert.match(res.body, /Not a TokenTray sign-in/);
      }
      const answer = send(`${base}?code=the-code&state=expected-state&authuser=0`);
      const callback = await listener.callback;
      assert.equal(callback.url.searchParams.get('code'), 'the-code');
      assert.equal(callback.url.origin + '/', base);
      callback.finish({ ok: true });
      const page = await answer;
      assert.equal(page.status, 200);
      assert.match(page.body, /Signed in/);
      assert.doesNotMatch(page.body, /the-code/, 'the page echoes nothing from the callback');
      await assert.rejects(send(`${base}?code=again&state=expected-state`), 'one-shot: closed after the callback');
    } finally {
      listener.close();
    }
  });

  it('is not reachable on other addresses', async () => {
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 10_000 });
    try {
      const port = new URL(listener.redirectUri).port;
      await assert.rejects(send(`http://[::1]:${port}/?state=s`));
    } finally {
      listener.close();
    }
  });

  it('shows the failure sentence to the browser', async () => {
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 10_000 });
    const answer = send(`${listener.redirectUri}?error=access_denied&state=s`);
    (await listener.callback).finish({ ok: false, message: 'Sign-in was declined <b>here</b>.' });
    const page = await answer;
    assert.equal(page.status, 400);
    assert.match(page.body, /Sign-in was declined &#60;b&#62;here&#60;\/b&#62;\./, 'escaped');
  });

  it('times out with LOGIN_TIMEOUT and stops listening', async () => {
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 50 });
    await assert.rejects(listener.callback, { code: 'LOGIN_TIMEOUT' });
    await assert.rejects(send(`${listener.redirectUri}?state=s`));
  });

  it('is cancellable with an AbortSignal', async () => {
    const controller = new AbortController();
    const listener = await startLoopbackListener({ expectedState: 's', timeoutMs: 10_000, signal: controller.signal });
    controller.abort();
    await assert.rejects(listener.callback, { code: 'LOGIN_CANCELLED' });
  });
});
