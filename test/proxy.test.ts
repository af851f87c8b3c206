import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetch as undiciFetch, ProxyAgent } from 'undici';
import { startConnectProxy, selfSignedCertificate, type ConnectProxy } from './support/connect-proxy.js';
import { expireCache } from './support/flows.js';
import { HttpBrowser } from './support/http-browser.js';
import { startTestIdp, type TestIdp } from './support/idp.js';
import { makeSandbox, runCli, startCli, type Sandbox } from './support/sandbox.js';

/** A host name under .test: it resolves nowhere, so only the proxy (which maps it to 127.0.0.1) reaches it. */
const HOST = 'idp.tokentray.test';
const PROXY_USER = 'corp-user';
const PROXY_PASSWORD = 'proxy-pw-Zq81xk';
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

describe('every outbound request goes through HTTPS_PROXY / HTTP_PROXY, and NO_PROXY bypasses it', () => {
  let idp: TestIdp;
  let plainIdp: TestIdp;
  let proxy: ConnectProxy;
  let sandbox: Sandbox;
  let caFile: string;
  let ca: string;

  before(async () => {
    const tls = await selfSignedCertificate(HOST);
    ca = tls.cert;
    idp = await startTestIdp({ mode: 'oidc', tls: { hostname: HOST, ...tls } });
    plainIdp = await startTestIdp({ mode: 'oidc' });
    proxy = await startConnectProxy({ hosts: [HOST], credentials: { user: PROXY_USER, password: PROXY_PASSWORD } });
    sandbox = await makeSandbox();
    for (const name of PROXY_ENV) delete sandbox.env[name];
    caFile = await sandbox.writeFile('corp-ca.pem', ca);
  });
  after(async () => {
    await sandbox.cleanup();
    await proxy.close();
    await idp.close();
    await plainIdp.close();
  });

  const proxyUrl = () => `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`;
  const envWith = (extra: Record<string, string>) => ({ ...sandbox.env, NODE_EXTRA_CA_CERTS: caFile, ...extra });
  /** The user's browser, configured with the same proxy. */
  const proxiedBrowser = (user: string) => {
    const dispatcher = new ProxyAgent({ uri: proxyUrl(), requestTls: { ca } });
    return new HttpBrowser(user, ((url: string | URL, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch);
  };

  async function login(target: TestIdp, user: string, env: Record<string, string>, browser: HttpBrowser) {
    const flags = ['--issuer', target.issuer, '--flavor', 'oidc', '--client-id', target.client.clientId, '--client-secret', target.client.clientSecret];
    const proc = startCli(['--verbose', 'login', ...flags, '--login-hint', user, '--no-browser', '--timeout', '30'], env);
    const url = await Promise.race([proc.authorizationUrl, proc.done.then((r) => Promise.reject(new Error(`login ended: ${r.stderr}`)))]);
    await browser.visit(url);
    return proc.done;
  }

  it("signs in to an https issuer reachable only through the proxy (CONNECT with the URL's credentials), and refreshes through it", async () => {
    const start = proxy.connects.length;
    const env = envWith({ HTTPS_PROXY: proxyUrl() });
    const result = await login(idp, 'alice@example.test', env, proxiedBrowser('alice@example.test'));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'alice@example.test\n');
    const seen = proxy.connects.slice(start);
    const basic = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`;
    assert.ok(
      seen.some((c) => c.target === `${HOST}:${new URL(idp.issuer).port}` && c.authorization === basic),
      JSON.stringify(seen),
    );
    // --verbose names the proxy by host and port, and never its credentials.
    assert.match(result.stderr, new RegExp(`via proxy http://127\\.0\\.0\\.1:${proxy.port}`));
    assert.ok(!result.stderr.includes(PROXY_PASSWORD) && !result.stderr.includes(PROXY_USER), 'no proxy credentials in the log');
    assert.ok(!result.stderr.includes(basic.slice(6)), 'no Proxy-Authorization in the log');

    // A refresh (the cached token expired) goes through the proxy too, and only through it.
    const core = sandbox.core();
    const [account] = await core.accounts.list();
    await expireCache(core, account.id);
    const unproxied = await runCli(['print-access-token'], envWith({}));
    assert.equal(unproxied.code, 1);
    assert.match(unproxied.stderr, /PROVIDER_UNREACHABLE/);
    const beforeRefresh = proxy.connects.length;
    const refresh = await runCli(['print-access-token'], env);
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.ok(proxy.connects.length > beforeRefresh, 'the refresh went through the proxy');
  });

  it('the same sign-in without the proxy cannot reach the issuer', async () => {
    const flags = ['--issuer', idp.issuer, '--flavor', 'oidc', '--client-id', idp.client.clientId, '--client-secret', idp.client.clientSecret];
    const result = await runCli(['login', ...flags, '--login-hint', 'bob@example.test', '--no-browser', '--timeout', '10'], envWith({}));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /PROVIDER_UNREACHABLE/);
  });

  it('plain-http issuers go through HTTP_PROXY too; NO_PROXY (either case) bypasses the proxy', async () => {
    // Through the proxy: it sees the CONNECT for 127.0.0.1.
    let mark = proxy.connects.length;
    const through = await login(plainIdp, 'carol@example.test', envWith({ http_proxy: proxyUrl() }), new HttpBrowser('carol@example.test'));
    assert.equal(through.code, 0, through.stderr);
    assert.ok(
      proxy.connects.slice(mark).some((c) => c.target === `127.0.0.1:${new URL(plainIdp.issuer).port}`),
      'the issuer was reached through the proxy',
    );

    for (const noProxy of [{ NO_PROXY: '127.0.0.1' }, { no_proxy: 'localhost,127.0.0.1' }] as Array<Record<string, string>>) {
      mark = proxy.connects.length;
      const direct = await login(plainIdp, 'dave@example.test', envWith({ HTTP_PROXY: proxyUrl(), ...noProxy }), new HttpBrowser('dave@example.test'));
      assert.equal(direct.code, 0, direct.stderr);
      assert.deepEqual(proxy.connects.slice(mark), [], 'NO_PROXY: the proxy saw nothing');
    }
  });

  it('a proxy that is down or refuses is PROXY_UNREACHABLE, named without its credentials', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const flags = ['--issuer', idp.issuer, '--flavor', 'oidc', '--client-id', idp.client.clientId, '--client-secret', idp.client.clientSecret];
    const down = await runCli(
      ['login', ...flags, '--no-browser', '--timeout', '10'],
      envWith({ HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${deadPort}` }),
    );
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`PROXY_UNREACHABLE: .*127\\.0\\.0\\.1:${deadPort}`));
    assert.match(down.stderr, /Check HTTPS_PROXY and HTTP_PROXY .* NO_PROXY/, 'says what to do');
    assert.ok(!down.stderr.includes(PROXY_PASSWORD) && !down.stderr.includes(PROXY_USER), down.stderr);

    const refused = await runCli(
      ['login', ...flags, '--no-browser', '--timeout', '10'],
      envWith({ HTTPS_PROXY: `http://${PROXY_USER}:wrong-password@127.0.0.1:${proxy.port}` }),
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`PROXY_UNREACHABLE: .*127\\.0\\.0\\.1:${proxy.port}.*407`));
    assert.match(refused.stderr, /Check HTTPS_PROXY and HTTP_PROXY/, 'says what to do');
    assert.ok(!refused.stderr.includes('wrong-password'), refused.stderr);
  });
});
