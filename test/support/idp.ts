import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { noteSecret } from './canary.js';

export type IdpMode = 'oidc' | 'google';
export type IdpInteraction = 'auto' | 'dev';

export interface TestIdpOptions {
  /** google: honours access_type=offline, sends no `iss` on callbacks and no refresh token on refresh. */
  mode?: IdpMode;
  /** auto: login and consent complete by themselves (pure redirects); dev: oidc-provider's forms. */
  interaction?: IdpInteraction;
  /** Refresh tokens of about 2,700 characters: the keychain item holding one is split in pieces. */
  longRefreshTokens?: boolean;
  /** Serve https under this host name (which need not resolve: see support/connect-proxy.ts). */
  tls?: { hostname: string; key: string; cert: string };
}

export interface TestIdp {
  issuer: string;
  client: { clientId: string; clientSecret: string };
  mode: IdpMode;
  /** Token endpoint requests by grant_type. */
  grants: Record<string, number>;
  /** Who the auto interaction signs in when there is no login_hint. */
  user: string;
  /** Makes the auto interaction answer access_denied. */
  deny: boolean;
  /** When set, refresh requests answer this OAuth error instead (HTTP 400, or `status`; `raw` replaces the JSON body). */
  refreshError?: { error: string; error_description?: string; status?: number; raw?: string };
  /** Makes discovery fail with HTTP 500 (the provider is up but broken). */
  brokenDiscovery: boolean;
  /** The next N discovery requests answer 503. */
  discoveryFailures: number;
  /** Discovery answers 200 with a body that is not JSON. */
  garbageDiscovery: boolean;
  /** Discovery requests are accepted and never answered. */
  hangingDiscovery: boolean;
  /** Discovery requests seen. */
  discoveryRequests: number;
  /**
   * Refresh tokens presented again after the issuer had rotated them away (oidc mode), the reuse
   * oidc-provider answers by revoking the whole grant. A test that expects none checks it is empty.
   */
  reused: string[];
  /** Refresh tokens the issuer has rotated away (each was answered with a new one). */
  rotatedAway: Set<string>;
  /** The `prompt` of every authorization request, as sent (google mode accepts `select_account`, as Google does). */
  prompts: Array<string | null>;
  introspect(token: string): Promise<{ active: boolean } & Record<string, unknown>>;
  close(): Promise<void>;
}

const GOOGLE_CLOUD = 'https://www.googleapis.com/auth/cloud-platform';

/** oidc-provider on 127.0.0.1, as a stand-in for Google or any OpenID Provider. */
export async function startTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const mode = options.mode ?? 'oidc';
  const interaction = options.interaction ?? 'auto';
  const server: Server = options.tls ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }) : createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = options.tls ? `https://${options.tls.hostname}:${port}` : `http://127.0.0.1:${port}`;
  const client = { clientId: `tokentray-test-${mode}`, clientSecret: `secret-${Math.random().toString(36).slice(2)}-${mode}` };
  const offlineCodes = new Set<string>();

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.clientId,
        client_secret: client.clientSecret,
        application_type: 'native',
        redirect_uris: ['http://127.0.0.1/'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: interaction === 'dev' },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'https://www.googleapis.com/',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: `${GOOGLE_CLOUD} https://www.googleapis.com/auth/userinfo.email`,
          accessTokenFormat: 'opaque',
          audience: 'https://www.googleapis.com/',
        }),
      },
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', GOOGLE_CLOUD],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    ...(options.longRefreshTokens
      ? { formats: { bitsOfOpaqueRandomness: (_ctx: unknown, token: { kind: string }) => (token.kind === 'RefreshToken' ? 16_000 : 256) } }
      : {}),
    extraParams: ['access_type', 'include_granted_scopes'],
    ttl: { AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 14 * 24 * 3600, RefreshToken: 14 * 24 * 3600 },
    rotateRefreshToken: mode === 'oidc',
    async issueRefreshToken(ctx, c, code) {
      if (!c.grantTypeAllowed('refresh_token')) return false;
      if (code.scopes.has('offline_access')) return true;
      return mode === 'google' && offlineCodes.has(String(ctx.oidc.params?.code ?? ''));
    },
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: id, email: id.includes('@') ? id : `${id}@example.test`, email_verified: true, name: id };
        },
      };
    },
    ...(interaction === 'auto' ? { interactions: { url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` } } : {}),
  });

  const idp: TestIdp = {
    issuer,
    client,
    mode,
    grants: {},
    user: 'alice@example.test',
    deny: false,
    brokenDiscovery: false,
    discoveryFailures: 0,
    garbageDiscovery: false,
    hangingDiscovery: false,
    discoveryRequests: 0,
    prompts: [],
    reused: [],
    rotatedAway: new Set(),
    async introspect(token) {
      const res = await fetch(`${issuer}/token/introspection`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: client.clientId, client_secret: client.clientSecret }),
      });
      return (await res.json()) as { active: boolean };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  noteSecret(client.clientSecret);
  provider.use(async (ctx, next) => {
    if (ctx.path === '/.well-known/openid-configuration') {
      idp.discoveryRequests++;
      if (idp.hangingDiscovery) {
        ctx.respond = false; // never answer
        return;
      }
      if (idp.brokenDiscovery || idp.discoveryFailures > 0) {
        if (idp.discoveryFailures > 0) idp.discoveryFailures--;
        ctx.status = idp.brokenDiscovery ? 500 : 503;
        ctx.body = 'internal error';
        return;
      }
      if (idp.garbageDiscovery) {
        ctx.status = 200;
        ctx.type = 'application/json';
        ctx.body = '<html>this is not the document you are looking for';
        return;
      }
    }
    if (ctx.path === '/auth' && ctx.method === 'GET') {
      const query = new URLSearchParams(ctx.querystring);
      idp.prompts.push(query.get('prompt'));
      // Google shows its account chooser for select_account; here one test user per browser stands
      // in for it, so the value is recorded and dropped (oidc-provider would refuse it unregistered).
      const prompt = query.get('prompt')?.split(' ');
      if (mode === 'google' && prompt?.includes('select_account')) {
        const rest = prompt.filter((p) => p !== 'select_account');
        if (rest.length > 0) query.set('prompt', rest.join(' '));
        else query.delete('prompt');
        ctx.querystring = query.toString();
      }
    }
    if (ctx.path === '/token' && idp.refreshError && ctx.method === 'POST') {
      const body = await new Promise<string>((resolve) => {
        let s = '';
        ctx.req.on('data', (d: Buffer) => (s += d.toString()));
        ctx.req.on('end', () => resolve(s));
      });
      if (new URLSearchParams(body).get('grant_type') === 'refresh_token') {
        idp.grants.refresh_token = (idp.grants.refresh_token ?? 0) + 1;
        const { status = 400, raw, ...oauthError } = idp.refreshError;
        ctx.status = status;
        if (raw !== undefined) {
          ctx.type = 'text/html';
          ctx.body = raw;
        } else ctx.body = oauthError;
        return;
      }
      throw new Error('refreshError is set: only refresh requests are expected');
    }
    await next();
    if (ctx.path === '/token' && ctx.oidc?.params?.grant_type === 'refresh_token' && idp.rotatedAway.has(String(ctx.oidc.params.refresh_token))) {
      idp.reused.push(String(ctx.oidc.params.refresh_token));
    }
    if (ctx.path === '/token' && ctx.status === 200) {
      const issued = ctx.body as Record<string, unknown> | undefined;
      for (const field of ['access_token', 'refresh_token', 'id_token']) noteSecret(issued?.[field]);
      const grantType = String(ctx.oidc?.params?.grant_type ?? 'unknown');
      idp.grants[grantType] = (idp.grants[grantType] ?? 0) + 1;
      const presented = ctx.oidc?.params?.refresh_token;
      if (grantType === 'refresh_token' && typeof presented === 'string' && typeof issued?.refresh_token === 'string' && issued.refresh_token !== presented)
        idp.rotatedAway.add(presented);
      // Google answers a refresh with no new refresh token.
      if (mode === 'google' && grantType === 'refresh_token' && ctx.body && typeof ctx.body === 'object')
        delete (ctx.body as Record<string, unknown>).refresh_token;
    }
    if (mode === 'google' && ctx.path === '/.well-known/openid-configuration' && ctx.body && typeof ctx.body === 'object') {
      delete (ctx.body as Record<string, unknown>).authorization_response_iss_parameter_supported;
    }
    const location = ctx.response.get('location');
    if (location && location.startsWith('http://127.0.0.1:') && !location.startsWith(issuer)) {
      const url = new URL(location);
      const code = url.searchParams.get('code');
      noteSecret(code);
      if (code && ctx.oidc?.params?.access_type === 'offline') offlineCodes.add(code);
      if (mode === 'google') {
        url.searchParams.delete('iss');
        // Google's callbacks carry extra parameters; clients must ignore them.
        if (code) url.searchParams.set('authuser', '0');
        ctx.redirect(url.href);
      }
    }
  });

  const callback = provider.callback();
  server.on('request', async (req, res) => {
    if (interaction === 'auto' && req.url?.startsWith('/interaction/')) {
      try {
        const details = await provider.interactionDetails(req, res);
        const params = details.params as Record<string, string | undefined>;
        if (idp.deny) {
          await provider.interactionFinished(
            req,
            res,
            { error: 'access_denied', error_description: 'End-User aborted interaction' },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const accountId = params.login_hint || idp.user;
        const grant = new provider.Grant({ accountId, clientId: String(params.client_id) });
        grant.addOIDCScope(String(params.scope ?? 'openid'));
        grant.addResourceScope('https://www.googleapis.com/', String(params.scope ?? ''));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
      return;
    }
    void callback(req, res);
  });
  return idp;
}
