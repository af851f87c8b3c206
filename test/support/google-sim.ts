/**
 * Local stand-ins for Google-only endpoints, following Google's documented request and response
 * formats: the OAuth token endpoint's JWT-bearer grant (RFC 7523, and Google's target_audience
 * variant), IAM Credentials generateAccessToken / generateIdToken, and tokeninfo. It verifies what
 * it is sent (assertion signatures, bearer tokens live at the test IdP) instead of trusting it.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import { noteSecret } from './canary.js';
import type { TestIdp } from './idp.js';
import { rsaKeyPem } from './service-account-key.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
type Json = Record<string, unknown>;

interface IssuedAccess {
  email: string;
  scopes: string[];
  exp: number;
}

export interface GoogleSim {
  origin: string;
  tokenUri: string;
  /** Token endpoint grants by kind, IAM calls by method. */
  counts: Record<string, number>;
  /** Bodies IAM Credentials received, newest last. */
  iamRequests: Array<{ method: string; target: string; body: Json }>;
  /** Registers a service account's public key (SPKI PEM) under its key id. */
  addServiceAccount(email: string, keyId: string, publicKeyPem: string): Promise<void>;
  /** `caller` may mint tokens of `target` (roles/iam.serviceAccountTokenCreator). */
  allow(caller: string, target: string): void;
  /**
   * Workforce identity federation (STS /v1/oauthtoken, /v1/introspect, /v1/revoke): a client and a
   * principal; returns the first refresh token. Each refresh rotates it and the old one stops working.
   */
  addWorkforce(w: { clientId: string; clientSecret: string; audience: string; principal: string }): string;
  /** Ends the principal's workforce grant (the refresh token is refused with invalid_grant). */
  revokeWorkforce(principal: string): void;
  /** Workload identity federation (STS /v1/token): this subject token, of this type, for this audience, is the principal. */
  addWorkload(w: { audience: string; subjectTokenType: string; subjectToken: string; principal: string }): void;
  /** Form bodies STS received, newest last (subject and refresh tokens included: tests check them). */
  stsRequests: Array<{ path: string; form: Record<string, string>; authorization?: string }>;
  /** Verifies an ID token the sim issued. */
  verifyIdToken(jwt: string): Promise<Json>;
  close(): Promise<void>;
}

/** An RS256 key pair new to this process: a 2048-bit one from the fixed pool (rsaKeyPem), another size made now. */
async function rs256KeyPair(modulusLength = 2048): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
  if (modulusLength !== 2048) return generateKeyPair('RS256', { extractable: true, modulusLength });
  const pem = rsaKeyPem();
  const publicPem = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey: await importPKCS8(pem, 'RS256', { extractable: true }), publicKey: await importSPKI(publicPem, 'RS256', { extractable: true }) };
}

export async function startGoogleSim(idp?: TestIdp): Promise<GoogleSim> {
  const saKeys = new Map<string, { keyId: string; key: CryptoKey }>();
  const grants = new Map<string, Set<string>>();
  const issued = new Map<string, IssuedAccess>();
  const workforce = new Map<string, { clientId: string; clientSecret: string; audience: string; principal: string }>();
  const workloads: Array<{ audience: string; subjectTokenType: string; subjectToken: string; principal: string }> = [];
  const { privateKey: signer, publicKey: signerPublic } = await rs256KeyPair();
  const signerKid = `sim-${randomBytes(4).toString('hex')}`;
  await exportJWK(signerPublic);

  const server: Server = createServer(
    (req, res) => void handle(req, res).catch((err) => send(res, 500, { error: { code: 500, message: String(err), status: 'INTERNAL' } })),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sim: GoogleSim = {
    origin,
    tokenUri: `${origin}/token`,
    counts: {},
    iamRequests: [],
    stsRequests: [],
    addWorkforce(w) {
      const refreshToken = `wf-rt-${randomBytes(16).toString('base64url')}`;
      noteSecret(refreshToken);
      noteSecret(w.clientSecret);
      workforce.set(refreshToken, w);
      return refreshToken;
    },
    revokeWorkforce(principal) {
      for (const [rt, w] of workforce) if (w.principal === principal) workforce.delete(rt);
    },
    addWorkload(w) {
      noteSecret(w.subjectToken);
      workloads.push(w);
    },
    async addServiceAccount(email, keyId, pem) {
      saKeys.set(email, { keyId, key: await importSPKI(pem, 'RS256') });
    },
    allow(caller, target) {
      (grants.get(target) ?? grants.set(target, new Set()).get(target)!).add(caller);
    },
    async verifyIdToken(jwt) {
      return (await jwtVerify(jwt, signerPublic, { issuer: 'https://accounts.google.com' })).payload;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const count = (k: string) => (sim.counts[k] = (sim.counts[k] ?? 0) + 1);

  function send(res: ServerResponse, status: number, body: Json): void {
    for (const field of ['access_token', 'id_token', 'accessToken', 'token']) noteSecret(body[field]);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  }
  const iamError = (res: ServerResponse, code: number, status: string, message: string) => send(res, code, { error: { code, message, status } });

  async function body(req: IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of req) text += chunk;
    return text;
  }

  async function idToken(email: string, audience: string, includeEmail: boolean): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...(includeEmail ? { email, email_verified: true } : {}), azp: email })
      .setProtectedHeader({ alg: 'RS256', kid: signerKid, typ: 'JWT' })
      .setIssuer('https://accounts.google.com')
      .setSubject(`sub-${email}`)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(signer);
  }

  /** Who holds this bearer token and with which scopes, if it is live. */
  async function caller(token: string): Promise<{ email: string; scopes: string[]; exp: number } | undefined> {
    const own = issued.get(token);
    if (own) return own.exp > Date.now() / 1000 ? own : undefined;
    if (!idp) return undefined;
    const info = (await idp.introspect(token)) as { active: boolean; sub?: string; scope?: string; exp?: number; client_id?: string; aud?: unknown };
    if (!info.active || !info.sub) return undefined;
    return { email: info.sub, scopes: (info.scope ?? '').split(' '), exp: info.exp ?? 0 };
  }

  async function tokenEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await body(req));
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return send(res, 400, { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
    const assertion = form.get('assertion') ?? '';
    let claims: Json;
    try {
      const iss = String(decodeJwt(assertion).iss);
      const sa = saKeys.get(iss);
      if (!sa || decodeProtectedHeader(assertion).kid !== sa.keyId) throw new Error('unknown key');
      // Google takes its canonical token URL as the audience too (gcloud and google-auth send it).
      claims = (await jwtVerify(assertion, sa.key, { issuer: iss, audience: [sim.tokenUri, 'https://oauth2.googleapis.com/token'], algorithms: ['RS256'] }))
        .payload;
    } catch {
      return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    }
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 3600)
      return send(res, 400, { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes)' });
    const email = String(claims.iss);
    if (typeof claims.target_audience === 'string') {
      count('jwt-bearer:id');
      return send(res, 200, { id_token: await idToken(email, claims.target_audience, true) });
    }
    if (typeof claims.scope !== 'string' || !claims.scope)
      return send(res, 400, { error: 'invalid_scope', error_description: 'Empty or missing scope not allowed.' });
    count('jwt-bearer:access');
    const token = `ya29.sim-${randomBytes(24).toString('base64url')}`;
    issued.set(token, { email, scopes: claims.scope.split(' '), exp: Math.floor(Date.now() / 1000) + 3599 });
    return send(res, 200, { access_token: token, expires_in: 3599, token_type: 'Bearer' });
  }

  async function iamCredentials(req: IncomingMessage, res: ServerResponse, target: string, method: string): Promise<void> {
    const json = JSON.parse((await body(req)) || '{}') as Json;
    sim.iamRequests.push({ method, target, body: json });
    count(method);
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const who = auth ? await caller(auth) : undefined;
    if (!who) return iamError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    if (!who.scopes.includes(CLOUD_PLATFORM)) return iamError(res, 403, 'PERMISSION_DENIED', 'Request had insufficient authentication scopes.');
    if (!saKeys.has(target) && !grants.has(target)) return iamError(res, 404, 'NOT_FOUND', `Service account ${target} not found.`);
    const delegates = (Array.isArray(json.delegates) ? json.delegates : []).map((d) => String(d).replace(/^projects\/-\/serviceAccounts\//, ''));
    let current = who.email;
    for (const next of [...delegates, target]) {
      if (!grants.get(next)?.has(current))
        return iamError(res, 403, 'PERMISSION_DENIED', `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`);
      current = next;
    }
    if (method === 'generateAccessToken') {
      const scopes = Array.isArray(json.scope) ? json.scope.map(String) : [];
      if (scopes.length === 0) return iamError(res, 400, 'INVALID_ARGUMENT', 'Scope required.');
      const token = `ya29.sim-imp-${randomBytes(24).toString('base64url')}`;
      const exp = Math.floor(Date.now() / 1000) + 3600;
      issued.set(token, { email: target, scopes, exp });
      return send(res, 200, { accessToken: token, expireTime: new Date(exp * 1000).toISOString() });
    }
    if (typeof json.audience !== 'string' || !json.audience) return iamError(res, 400, 'INVALID_ARGUMENT', 'Audience required.');
    return send(res, 200, { token: await idToken(target, json.audience, json.includeEmail === true) });
  }

  async function tokenInfo(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    count('tokeninfo');
    const token = req.method === 'POST' ? new URLSearchParams(await body(req)).get('access_token') : url.searchParams.get('access_token');
    const who = token ? await caller(token) : undefined;
    if (!who) return send(res, 400, { error: 'invalid_token', error_description: 'Invalid Value' });
    const now = Math.floor(Date.now() / 1000);
    // Google's format: numbers as strings.
    return send(res, 200, {
      azp: 'sim-client',
      aud: 'sim-client',
      sub: `sub-${who.email}`,
      scope: who.scopes.join(' '),
      exp: String(who.exp),
      expires_in: String(who.exp - now),
      email: who.email,
      email_verified: 'true',
      access_type: 'offline',
    });
  }

  /** Google's STS: client auth by HTTP Basic (google-auth sends id:secret unencoded), form bodies. */
  async function sts(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    sim.stsRequests.push({ path, form, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const basic = /^Basic (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
    const client = (w: { clientId: string; clientSecret: string }) => w.clientId === id && w.clientSecret === secret;
    const stsError = (status: number, error: string, description: string) => send(res, status, { error, error_description: description });
    const mint = (principal: string) => {
      const token = `ya29.sts-${randomBytes(24).toString('base64url')}`;
      issued.set(token, { email: principal, scopes: [CLOUD_PLATFORM], exp: Math.floor(Date.now() / 1000) + 3599 });
      return token;
    };
    if (path === 'oauthtoken') {
      count('sts:refresh');
      if (form.grant_type !== 'refresh_token') return stsError(400, 'unsupported_grant_type', 'Unsupported grant type.');
      const grant = workforce.get(form.refresh_token ?? '');
      if (grant && !client(grant)) return stsError(401, 'invalid_client', 'The OAuth client was not found.');
      if (!grant) return stsError(400, 'invalid_grant', 'The refresh token is invalid or has expired.');
      workforce.delete(form.refresh_token);
      const rotated = `wf-rt-${randomBytes(16).toString('base64url')}`;
      noteSecret(rotated);
      workforce.set(rotated, grant);
      return send(res, 200, { access_token: mint(grant.principal), expires_in: 3599, token_type: 'Bearer', refresh_token: rotated });
    }
    if (path === 'introspect') {
      count('sts:introspect');
      if (![...workforce.values()].some(client)) return stsError(401, 'invalid_client', 'The OAuth client was not found.');
      const who = issued.get(form.token ?? '');
      return send(res, 200, who ? { active: true, username: who.email, scope: who.scopes.join(' '), exp: who.exp } : { active: false });
    }
    if (path === 'revoke') {
      count('sts:revoke');
      const grant = workforce.get(form.token ?? '');
      if (grant && !client(grant)) return stsError(401, 'invalid_client', 'The OAuth client was not found.');
      if (grant) workforce.delete(form.token);
      return send(res, 200, {});
    }
    count('sts:exchange');
    if (form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange') return stsError(400, 'unsupported_grant_type', 'Unsupported grant type.');
    if (form.requested_token_type !== 'urn:ietf:params:oauth:token-type:access_token') return stsError(400, 'invalid_request', 'Invalid requested token type.');
    const pool = workloads.filter((w) => w.audience === form.audience);
    if (pool.length === 0) return stsError(400, 'invalid_target', 'The target service indicated by the "audience" parameters is invalid.');
    const match = pool.find((w) => w.subjectToken === form.subject_token);
    if (!match) return stsError(400, 'invalid_grant', 'The subject token is invalid or has expired.');
    if (match.subjectTokenType !== form.subject_token_type) return stsError(400, 'invalid_request', `Invalid subject token type: ${form.subject_token_type}.`);
    if (!form.scope) return stsError(400, 'invalid_scope', 'The scope is missing.');
    return send(res, 200, {
      access_token: mint(match.principal),
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3599,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const stsPath = /^\/v1\/(oauthtoken|introspect|revoke|token)$/.exec(url.pathname)?.[1];
    if (stsPath && req.method === 'POST') return sts(req, res, stsPath);
    if (url.pathname === '/token' && req.method === 'POST') return tokenEndpoint(req, res);
    if (url.pathname === '/tokeninfo') return tokenInfo(req, res, url);
    const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):(generateAccessToken|generateIdToken)$/.exec(url.pathname);
    if (iam && req.method === 'POST') return iamCredentials(req, res, decodeURIComponent(iam[1]), iam[2]);
    return send(res, 404, { error: { code: 404, message: 'Not found', status: 'NOT_FOUND' } });
  }

  return sim;
}

function noted(pem: string): string {
  // The whole PEM and each base64 line of it: a leak of any part is a leak.
  noteSecret(pem);
  for (const line of pem.split('\n')) if (line.length >= 40) noteSecret(line);
  return pem;
}

/** A fresh service-account key file (as the Cloud Console downloads it), registered with the sim. */
export async function makeServiceAccountKey(
  sim: GoogleSim,
  email: string,
  extra: Json = {},
  modulusLength = 2048,
): Promise<{ json: Json; publicKeyPem: string }> {
  const { exportPKCS8, exportSPKI } = await import('jose');
  const { privateKey, publicKey } = await rs256KeyPair(modulusLength);
  const keyId = randomBytes(20).toString('hex');
  const publicKeyPem = await exportSPKI(publicKey);
  await sim.addServiceAccount(email, keyId, publicKeyPem);
  const json: Json = {
    type: 'service_account',
    project_id: email.split('@')[1].split('.')[0],
    private_key_id: keyId,
    private_key: noted(await exportPKCS8(privateKey)),
    client_email: email,
    client_id: String(100000000000000000000n + BigInt(Math.floor(Math.random() * 1e9))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: sim.tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(email)}`,
    universe_domain: 'googleapis.com',
    ...extra,
  };
  return { json, publicKeyPem };
}
