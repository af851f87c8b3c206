import { resolveSignInSetup, signInAccount } from '../core/oauth/account-sign-in.js';
import type { ClipboardGuard } from './clipboard-guard.js';
import type { Core } from '../core/core.js';
import { isTokenTrayError, TokenTrayError } from '../core/shared/errors.js';
import type { AccountRecord } from '../core/storage/account-registry.js';
import type { AccountTokens, ChannelArgs, ChannelResult, CopyOptions, InvokeChannel, Result, TokenKind } from './ipc-contract.js';
import { parseImpersonationChain, type ImpersonationChain } from '../core/google/impersonation.js';
import { importServiceAccountJson } from '../core/google/service-account.js';
import { describeAccessToken } from '../core/google/token-info.js';
import { startMetadataServer, type MetadataServer } from '../core/integrations/metadata-server.js';
import { GUIDE_PAGES, type MetadataStatus } from './ipc-contract.js';
import { importAdcFile, wellKnownAdcPath } from '../core/google/adc.js';
import { validateArgs } from './ipc-validation.js';
import { decodeJwt } from '../core/shared/jwt-decode.js';
import { parseScopeList } from '../core/oauth/scopes.js';
import type { SettingsStore } from '../core/storage/settings-store.js';
import { signOut } from '../core/oauth/sign-out.js';
import { formatToken } from '../core/tokens/token-forms.js';

export interface AppHandlerDeps {
  core: Core;
  clipboard: ClipboardGuard;
  settings: SettingsStore;
  /** Shows the authorization URL the core built in the system browser. */
  openExternal(url: string): Promise<void>;
  /** After anything that changes accounts or their status: the window reloads, the tray rebuilds. */
  onChange(): void;
  /** Where TOKENTRAY_GOOGLE_* endpoint overrides are read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where an imported ADC file's refresh token is checked: Google, unless a test says otherwise. */
  adcIssuer?: string;
  /** After settings change (the main process re-registers the global shortcut). */
  onSettingsChange?(settings: ChannelResult<'settings:get'>): void | Promise<void>;
}

export type Handlers = { [C in InvokeChannel]: (...args: ChannelArgs<C>) => Promise<ChannelResult<C>> };

export interface AppHandlers extends Handlers {
  isSigningIn(): boolean;
  /** Stops what the handlers started (the metadata-server emulator); for quitting. */
  dispose(): Promise<void>;
}

/** Failures that change an account's status, so the UI must reload. */
const STATUS_CHANGING = new Set(['REAUTH_REQUIRED', 'KEYCHAIN_ENTRY_MISSING']);

/**
 * The main process's handlers as plain functions over the core: Electron's ipcMain, the tray, and
 * the tests' loopback transport all call these.
 */
export function createHandlers(deps: AppHandlerDeps): AppHandlers {
  const { core } = deps;
  let attempt: AbortController | undefined;
  let metadata: { server: MetadataServer; accountId: string } | undefined;
  let metadataSwitch: Promise<unknown> = Promise.resolve();

  const metadataStatus = (): MetadataStatus =>
    metadata
      ? {
          running: true,
          host: metadata.server.host,
          accountId: metadata.accountId,
          // As `tokentray exec` sets them: Python, Node and Go read the first two, gcloud the third.
          exports: `export GCE_METADATA_HOST=${metadata.server.host}\nexport GCE_METADATA_IP=${metadata.server.host}\nexport GCE_METADATA_ROOT=${metadata.server.host}`,
        }
      : { running: false };

  async function guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isTokenTrayError(err) && STATUS_CHANGING.has(err.code)) deps.onChange();
      throw err;
    }
  }

  const chainOf = (account: AccountRecord): ImpersonationChain | undefined =>
    account.impersonate && account.impersonate.length > 0 ? parseImpersonationChain(account.impersonate) : undefined;

  async function tokensOf(id: string): Promise<AccountTokens> {
    const account = await core.accounts.resolve(id);
    const access = await core.tokens.getAccessToken(account);
    let idToken: AccountTokens['id'] = null;
    if (account.kind !== 'service_account') {
      try {
        const token = await core.tokens.getIdToken(account);
        const decoded = decodeJwt(token.token);
        idToken = { ...token, header: decoded?.header ?? {}, claims: decoded?.claims ?? {} };
      } catch (err) {
        if (!isTokenTrayError(err, 'NO_ID_TOKEN')) throw err;
      }
    }
    let impersonated: AccountTokens['impersonated'] = null;
    const chain = chainOf(account);
    if (chain) {
      // A refused impersonation is shown beside the account's own tokens, not instead of them.
      try {
        impersonated = { target: chain.target, access: await core.tokens.getAccessToken(account, undefined, { impersonate: chain }) };
      } catch (err) {
        if (!isTokenTrayError(err)) throw err;
        impersonated = { target: chain.target, access: null, error: err.message };
      }
    }
    return { access, id: idToken, impersonated };
  }

  /** The token a copy takes, per its options. */
  async function tokenFor(account: AccountRecord, kind: TokenKind, options: CopyOptions) {
    const chain = options.impersonated ? chainOf(account) : undefined;
    if (options.impersonated && !chain) throw new TokenTrayError('INVALID_ARGUMENT', `${account.email ?? account.subject} has no impersonation target. Set one first.`);
    if (kind === 'access') return core.tokens.getAccessToken(account, undefined, chain ? { impersonate: chain } : {});
    // An ID token for an audience: a user account goes through its impersonation target, if any.
    const impersonate = chain ?? (options.audience && account.kind !== 'service_account' ? chainOf(account) : undefined);
    return core.tokens.getIdToken(account, {
      ...(options.audience ? { audience: options.audience, includeEmail: true } : {}),
      ...(impersonate ? { impersonate } : {}),
    });
  }

  return {
    isSigningIn: () => attempt !== undefined,

    async dispose() {
      await metadataSwitch.catch(() => undefined);
      await metadata?.server.close();
      metadata = undefined;
    },

    async 'metadata:get'() {
      return metadataStatus();
    },

    'metadata:set'({ enabled, accountId }) {
      // One switch at a time: overlapping toggles must not leave a server nobody can stop.
      const next = metadataSwitch.catch(() => undefined).then(async () => {
        if (metadata) {
          await metadata.server.close();
          metadata = undefined;
        }
        if (enabled) {
          const account = await core.accounts.resolve(accountId);
          metadata = { server: await startMetadataServer({ core, account: account.id }), accountId: account.id };
        }
        return metadataStatus();
      });
      metadataSwitch = next;
      return next;
    },

    async 'metadata:copy-exports'() {
      const { exports } = metadataStatus();
      if (!exports) throw new TokenTrayError('METADATA_SERVER_STOPPED', 'The metadata server is not running: switch it on first.');
      deps.clipboard.copy(exports);
      return true;
    },

    async 'guide:open'(page) {
      await deps.openExternal(GUIDE_PAGES[page]);
      return true;
    },

    async 'accounts:import-adc'() {
      const record = await importAdcFile(core, wellKnownAdcPath(deps.env ?? process.env), deps.adcIssuer ? { issuer: deps.adcIssuer } : {});
      deps.onChange();
      return (await core.accounts.list()).find((a) => a.id === record.id)!;
    },

    'accounts:list': () => core.accounts.list(),

    async 'accounts:sign-in'(request) {
      if (attempt) throw new TokenTrayError('SIGN_IN_IN_PROGRESS', 'A sign-in is already waiting for the browser. Finish it there, or cancel it first.');
      const controller = new AbortController();
      attempt = controller;
      deps.onChange();
      try {
        const setup = await resolveSignInSetup(core, {
          ...(request.clientJson !== undefined ? { clientJson: request.clientJson } : {}),
          ...(request.clientId !== undefined ? { clientId: request.clientId } : {}),
          ...(request.clientSecret !== undefined ? { clientSecret: request.clientSecret } : {}),
          ...(request.issuer !== undefined ? { issuer: request.issuer } : {}),
          ...(request.flavor !== undefined ? { flavor: request.flavor } : {}),
          ...(request.accountId !== undefined ? { accountId: request.accountId } : {}),
        });
        const scopes = request.scopes?.flatMap(parseScopeList);
        const record = await signInAccount(core, setup, {
          ...(scopes && scopes.length > 0 ? { scopes } : {}),
          ...(request.loginHint ? { loginHint: request.loginHint } : {}),
          signal: controller.signal,
          openAuthorizationUrl: (url) => deps.openExternal(url),
        });
        return (await core.accounts.list()).find((a) => a.id === record.id)!;
      } finally {
        attempt = undefined;
        deps.onChange();
      }
    },

    async 'accounts:cancel-sign-in'() {
      if (!attempt) return false;
      attempt.abort();
      return true;
    },

    async 'accounts:remove'(id) {
      const account = await core.accounts.resolve(id);
      const { revoked } = await signOut(core.accounts, account);
      deps.onChange();
      return { revoked };
    },

    async 'accounts:set-default'(id) {
      await core.accounts.setDefault(id);
      deps.onChange();
      return core.accounts.list();
    },

    'tokens:get': (id) => guard(() => tokensOf(id)),

    'tokens:refresh': (id) =>
      guard(async () => {
        await core.tokens.forceRefresh(await core.accounts.resolve(id));
        return tokensOf(id);
      }),

    'tokens:copy': (id, kind, form, options = {}) =>
      guard(async () => {
        const account = await core.accounts.resolve(id);
        const token = await tokenFor(account, kind, options);
        deps.clipboard.copy(formatToken(token.token, form, kind, account.flavor));
        return { kind, form, expiresAt: token.expiresAt };
      }),

    'tokens:info': (id) =>
      guard(async () => {
        const { account: _id, ...facts } = await describeAccessToken(core, await core.accounts.resolve(id), deps.env ?? process.env);
        return facts;
      }),

    async 'accounts:import-service-account'(json) {
      const record = await importServiceAccountJson(core, json);
      deps.onChange();
      return (await core.accounts.list()).find((a) => a.id === record.id)!;
    },

    async 'accounts:set-impersonation'(id, chain) {
      if (chain.length > 0) parseImpersonationChain(chain);
      await core.accounts.setImpersonation(id, chain);
      deps.onChange();
      return core.accounts.list();
    },

    async 'settings:get'() {
      return deps.settings.get();
    },

    async 'settings:set'(patch) {
      const before = deps.settings.get();
      const next = await deps.settings.update(patch);
      try {
        await deps.onSettingsChange?.(next);
      } catch (err) {
        // Put back what was in force (applying the new one may have removed the old shortcut).
        await deps.settings.update(before);
        await Promise.resolve(deps.onSettingsChange?.(before)).catch(() => undefined);
        throw err;
      }
      return next;
    },
  };
}

/** Validates, calls, and turns every outcome into a Result: nothing throws across IPC. */
export async function dispatch(handlers: Handlers, channel: string, args: unknown): Promise<Result<unknown>> {
  try {
    const valid = validateArgs(channel as InvokeChannel, args);
    const handler = handlers[channel as InvokeChannel] as (...a: unknown[]) => Promise<unknown>;
    return { ok: true, value: await handler(...(valid as unknown[])) };
  } catch (err) {
    if (isTokenTrayError(err)) return { ok: false, code: err.code, message: err.message };
    // Not ours: report without the object, which may hold an HTTP response.
    return { ok: false, code: 'INTERNAL', message: `Something went wrong in TokenTray: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Refreshes every ready account's tokens that are within the expiry margin, so that a tray copy
 * never waits on the network. Run it more often than the margin (5 min). Resolves true when an
 * account's status changed (for example its refresh token was revoked).
 */
export async function keepTokensFresh(core: Core, noIdToken: Set<string> = new Set()): Promise<boolean> {
  let changed = false;
  for (const account of (await core.accounts.registry.load()).accounts) {
    if (account.status !== 'ready') continue;
    try {
      await core.tokens.getAccessToken(account);
      // Service accounts' ID tokens need an audience; and an issuer that gave none is not asked
      // again on every round (each ask would be a full refresh).
      if (account.kind !== 'service_account' && !noIdToken.has(account.id)) await core.tokens.getIdToken(account);
    } catch (err) {
      if (isTokenTrayError(err, 'NO_ID_TOKEN')) noIdToken.add(account.id);
      else if (isTokenTrayError(err) && STATUS_CHANGING.has(err.code)) changed = true;
      // Anything else (offline, provider down) is retried on the next round.
    }
  }
  return changed;
}
