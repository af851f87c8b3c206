import type { AccountRecord } from '../accounts/account-registry.js';
import { accountIdFor } from '../accounts/account-service.js';
import { checkProjectId } from './project-id.js';
import type { Core } from '../core.js';
import { TokenTrayError, isTokenTrayError } from '../shared/errors.js';
import { CLOUD_PLATFORM } from '../oauth/scopes.js';
import { workforceSource, workloadSource, type FederationContext } from '../tokens/sources/federation.js';
import { impersonationTarget, parseFederationFile, poolOf, type FederationFile, type WorkforceFile } from './external-account-file.js';
import { parseJsonObject } from '../shared/json-object.js';
import type { CachedToken } from '../storage/credential-vault.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Whether an ADC file's text is one of the federation kinds (then `importFederationFile` takes it). */
export function isFederationFile(text: string): boolean {
  try {
    const t = parseJsonObject(text, () => new Error('not a JSON object')).type;
    return t === 'external_account_authorized_user' || t === 'external_account';
  } catch {
    return false;
  }
}

/** The file as stored: a workload file as it was read, a workforce file as parsed (its refresh token rotates). */
function storedJson(file: FederationFile): string {
  if (file.type === 'external_account') return JSON.stringify(file.raw);
  return JSON.stringify(file);
}

/**
 * The id of a federation file's account before its first token. A workload file that impersonates
 * no service account is named by its pool, and two such files of one pool may hold different
 * subjects (another file, URL or program): its source is part of its id, so the second does not
 * replace the first. An account imported before ids carried the source keeps its id when the same
 * source is imported again.
 */
async function provisionalId(core: Core, file: FederationFile, provisional: string, accounts: readonly AccountRecord[], path: string): Promise<string> {
  const byPool = accountIdFor(file.token_url, `${file.audience}\n${provisional}`);
  if (file.type !== 'external_account' || file.service_account_impersonation_url) return byPool;
  const source = JSON.stringify(file.source);
  if (accounts.some((a) => a.id === byPool)) {
    const stored = await core.accounts.federationFile(byPool).catch(() => undefined);
    const old = stored ? parseStored(stored, path) : undefined;
    if (old?.type === 'external_account' && JSON.stringify(old.source) === source) return byPool;
  }
  return accountIdFor(file.token_url, `${file.audience}\n${provisional}\n${source}`);
}

function parseStored(text: string, path: string): FederationFile | undefined {
  try {
    return parseFederationFile(text, path);
  } catch {
    return undefined;
  }
}

/**
 * The file kept in memory while its first token is fetched: nothing is stored until the file has
 * proved that it works (a kill meanwhile leaves nothing behind, and a failed re-import keeps the
 * stored file), and a refresh token that STS rotates meanwhile is the one stored.
 */
function fileInMemory(json: string): { text: () => string; accounts: FederationContext['accounts'] } {
  let text = json;
  return {
    text: () => text,
    accounts: {
      federationFile: () => Promise.resolve(text),
      saveFederationFile: (_id, next) => Promise.resolve(void (text = next)),
      // Not listed yet: a refused file is the import's error, not an account's state.
      markSigninRequired: () => Promise.resolve(),
    },
  };
}

/** The file's first token, minted as its account's source will mint them, and the file as it then is. */
async function firstToken(file: FederationFile, draft: AccountRecord, path: string, env: Env): Promise<{ token: CachedToken; json: string }> {
  const staged = fileInMemory(storedJson(file));
  const source = (draft.kind === 'workforce' ? workforceSource : workloadSource)({ accounts: staged.accounts, env, now: Date.now });
  let token;
  try {
    token = (await source.access(draft, undefined).mint()).token;
  } catch (err) {
    if (isTokenTrayError(err, 'REAUTH_REQUIRED')) throw new TokenTrayError('ADC_FILE_INVALID', `${path}: ${err.message}`, { cause: err });
    throw err;
  }
  if (!token) throw new TokenTrayError('PROVIDER_ERROR', `${file.token_url} gave no access token for ${path}.`);
  return { token, json: staged.text() };
}

/**
 * Imports a workforce or workload federation file as an account: one token proves it works, then
 * the file goes to the keychain (vault) and the account is listed, named by its principal
 * (workforce: what token_info_url says, else the pool; workload: the impersonated service account,
 * else the pool).
 */
export async function importFederationFile(core: Core, text: string, path: string, env: Env): Promise<AccountRecord> {
  const file = parseFederationFile(text, path);
  const before = await core.accounts.probe();
  const impersonated =
    file.type === 'external_account' && file.service_account_impersonation_url
      ? impersonationTarget(file.service_account_impersonation_url, path).email
      : undefined;
  // Named before the first token for workload files; a workforce principal needs the token.
  const provisional = impersonated ?? `principalSet://${poolOf(file.audience)}`;
  const draft: AccountRecord = {
    id: await provisionalId(core, file, provisional, before.accounts, path),
    kind: file.type === 'external_account_authorized_user' ? 'workforce' : 'workload',
    subject: provisional,
    ...(impersonated ? { email: impersonated } : {}),
    issuer: file.token_url,
    flavor: 'google',
    clientId: file.type === 'external_account_authorized_user' ? file.client_id : (file.client_id ?? ''),
    scopes: [CLOUD_PLATFORM],
    status: 'ready',
    createdAt: '',
    updatedAt: '',
  };
  const { token, json } = await firstToken(file, draft, path, env);
  const { createdAt: _c, updatedAt: _u, ...fresh } = draft;
  const principal = file.type === 'external_account_authorized_user' ? await workforcePrincipalOf(json, path, token) : undefined;
  const named = principal ? { id: accountIdFor(file.token_url, `${file.audience}\n${principal}`), subject: principal } : {};
  // The file's quota project becomes the account's, sent like any account's (x-goog-user-project).
  const quotaProject = file.quota_project_id ? checkProjectId(file.quota_project_id) : undefined;
  return core.accounts.saveFederatedAccount({ ...fresh, ...named, ...(quotaProject ? { quotaProject } : {}) }, json, token);
}

/** The principal a workforce file's token belongs to, as its token_info_url says (undefined: the pool names it). */
async function workforcePrincipalOf(json: string, path: string, token: CachedToken): Promise<string | undefined> {
  const { workforcePrincipal } = await import('./sts.js');
  return workforcePrincipal(parseFederationFile(json, path) as WorkforceFile, token.token);
}

/** The federation file of an account, for `adc export`: a workforce file carries the current refresh token. */
export async function federationExportJson(core: Core, account: AccountRecord): Promise<string> {
  const { federationFileOf } = await import('../tokens/sources/federation.js');
  const file = await federationFileOf(core, account);
  const doc = file.type === 'external_account' ? file.raw : file;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const federatedKinds: ReadonlyArray<AccountRecord['kind']> = ['workforce', 'workload'];
export const isFederated = (account: AccountRecord) => federatedKinds.includes(account.kind);
