import { rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AccountRecord } from '../accounts/account-registry.js';
import { displayName } from '../accounts/account-service.js';
import { writeFileAtomic } from '../storage/atomic-file.js';
import type { OAuthClient } from '../oauth/client-file.js';
import type { Core } from '../core.js';
import { TokenTrayError } from '../shared/errors.js';
import { GOOGLE_ISSUER, resolveProviderProfile } from '../oauth/provider-profile.js';
import { isLoopbackUrl, parseUrl } from '../shared/url-policy.js';
import { readUserFile } from '../storage/read-user-file.js';
import { assertNoControlCharacters } from '../shared/sanitize.js';
import { parseJsonObject } from '../shared/json-object.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where gcloud writes Application Default Credentials, and where Google's libraries look. */
export function wellKnownAdcPath(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.CLOUDSDK_CONFIG) return join(env.CLOUDSDK_CONFIG, 'application_default_credentials.json');
  if (platform === 'win32')
    return join(env.APPDATA || join(env.USERPROFILE || homedir(), 'AppData', 'Roaming'), 'gcloud', 'application_default_credentials.json');
  return join(env.HOME || homedir(), '.config', 'gcloud', 'application_default_credentials.json');
}

/** An `authorized_user` ADC file: a user's refresh token and the OAuth client it belongs to. Secret. */
export interface AuthorizedUser {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  quotaProjectId?: string;
}

export function parseAuthorizedUser(text: string, source: string): AuthorizedUser {
  const d = parseJsonObject(
    text,
    (problem, why) =>
      new TokenTrayError('ADC_FILE_INVALID', problem === 'not-json' ? `${source}: ${why}.` : `${source}: expected a JSON object of type "authorized_user".`),
  );
  if (d.type !== 'authorized_user') {
    const what =
      d.type === 'service_account'
        ? 'a service-account key'
        : typeof d.type === 'string'
          ? `of type "${d.type}"`
          : 'not an ADC file (no "type": "authorized_user")';
    throw new TokenTrayError(
      'ADC_FILE_INVALID',
      `${source} is ${what}.`,
      d.type === 'service_account' ? { facts: { remedy: 'import-service-account', path: source } } : undefined,
    );
  }
  for (const field of ['client_id', 'client_secret', 'refresh_token']) {
    if (typeof d[field] !== 'string' || d[field] === '') throw new TokenTrayError('ADC_FILE_INVALID', `${source}: "${field}" is missing or empty.`);
  }
  for (const field of ['client_id', 'client_secret', 'refresh_token', 'quota_project_id']) {
    if (typeof d[field] === 'string') assertNoControlCharacters(d[field], 'ADC_FILE_INVALID', `${source}: "${field}"`);
  }
  return {
    clientId: d.client_id as string,
    clientSecret: d.client_secret as string,
    refreshToken: d.refresh_token as string,
    ...(typeof d.quota_project_id === 'string' && d.quota_project_id ? { quotaProjectId: d.quota_project_id } : {}),
  };
}

/**
 * Imports an ADC file as an account: one refresh at the issuer (Google unless told otherwise)
 * proves the refresh token works and tells who it belongs to. The file is left alone unless asked.
 */
export async function importAdcFile(
  core: Core,
  path: string,
  options: { issuer?: string; removeFile?: boolean; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<AccountRecord> {
  const text = await readUserFile(
    path,
    'ADC_FILE_UNREADABLE',
    'the ADC file',
    'no such file (run `gcloud auth application-default login` first, or name the file)',
  );
  // Workforce and workload identity federation files: their own import.
  const federation = await import('./federation-import.js');
  if (federation.isFederationFile(text)) {
    const record = await federation.importFederationFile(core, text, path, options.env ?? process.env);
    if (options.removeFile) await rm(path, { force: true });
    return record;
  }
  const adc = parseAuthorizedUser(text, path);
  const profile = resolveProviderProfile(options.issuer ?? GOOGLE_ISSUER, 'google');
  const client: OAuthClient = { clientId: adc.clientId, clientSecret: adc.clientSecret };
  await core.accounts.probe();
  const { identifyRefreshToken } = await import('../oauth/oidc.js');
  const { granted, subject, email } = await identifyRefreshToken(
    profile,
    client,
    adc.refreshToken,
    `checking the refresh token of ${path}`,
    'ADC_FILE_INVALID',
  );
  if (!subject) {
    throw new TokenTrayError('ADC_FILE_INVALID', `${path} works, but its grant does not say who it belongs to (no openid or email scope).`, {
      facts: { remedy: 'sign-in-instead', path },
    });
  }
  const record = await core.accounts.saveSignIn(profile, client, {
    subject,
    ...(email ? { email } : {}),
    grantedScopes: granted.scopes ?? [],
    refreshToken: granted.refreshToken ?? adc.refreshToken,
    accessToken: granted.access.token,
    accessTokenExpiresAt: granted.access.expiresAt,
    ...(granted.id ? { idToken: granted.id.token, idTokenExpiresAt: granted.id.expiresAt } : {}),
  });
  // gcloud's `set-quota-project` wrote it there: the account keeps billing the same project.
  const kept = adc.quotaProjectId ? await core.accounts.setQuotaProject(record.id, adc.quotaProjectId) : record;
  if (options.removeFile) await rm(path, { force: true });
  return kept;
}

/**
 * Whether Google's libraries would refresh at this account's own issuer: Google's, or the loopback
 * issuer a test names in TOKENTRAY_TEST_GOOGLE_ISSUER (loopback only, so that no setting can make
 * a remote issuer's refresh token travel to Google).
 */
function isGoogleIssuerFor(issuer: string, env: Env): boolean {
  if (issuer === GOOGLE_ISSUER) return true;
  const stand = env.TOKENTRAY_TEST_GOOGLE_ISSUER;
  const url = stand === issuer ? parseUrl(stand) : undefined;
  return url !== undefined && isLoopbackUrl(url);
}

/** An existing file is replaced only when the user said so. */
async function refuseToReplace(path: string, overwrite: boolean | undefined): Promise<void> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (exists && !overwrite) throw new TokenTrayError('ADC_FILE_EXISTS', `${path} exists.`, { facts: { remedy: 'replace-or-choose-file', path } });
}

/**
 * Writes an `authorized_user` file for a Google account (mode 0600). ADC is Google's format and
 * Google's libraries always refresh at Google's token endpoint, so other issuers are refused.
 */
export async function exportAdcFile(core: Core, account: AccountRecord, path: string, options: { overwrite?: boolean; env?: Env } = {}): Promise<void> {
  const federation = await import('./federation-import.js');
  if (federation.isFederated(account)) {
    await refuseToReplace(path, options.overwrite);
    await writeFileAtomic(path, await federation.federationExportJson(core, account));
    return;
  }
  if (account.kind === 'service_account') {
    throw new TokenTrayError('ADC_GOOGLE_ONLY', `${displayName(account)} is a service account: point GOOGLE_APPLICATION_CREDENTIALS at its key file.`, {
      facts: { remedy: 'use-metadata-server' },
    });
  }
  if (account.flavor !== 'google' || !isGoogleIssuerFor(account.issuer, options.env ?? process.env)) {
    throw new TokenTrayError(
      'ADC_GOOGLE_ONLY',
      `${displayName(account)} signed in at ${account.issuer}. ADC files are Google's format, and Google's libraries always refresh them at Google's token endpoint, so they cannot hold this account.`,
      { facts: { remedy: 'use-metadata-server' } },
    );
  }
  await refuseToReplace(path, options.overwrite);
  const { client, refreshToken } = await core.accounts.clientOf(account);
  const doc = {
    type: 'authorized_user',
    client_id: client.clientId,
    client_secret: client.clientSecret ?? '',
    refresh_token: refreshToken,
    ...(account.quotaProject ? { quota_project_id: account.quotaProject } : {}),
    universe_domain: 'googleapis.com',
  };
  await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`);
}
