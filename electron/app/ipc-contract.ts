/**
 * The one contract between the renderer, the preload bridge and the main process: every channel,
 * its arguments and its result. Types and constant names only; the domain types come from the core's
 * models. (The sandboxed preload cannot load modules; it repeats the names, checked against these types.)
 */

import type { AccountSummary, Settings, TokenDetails, TokenForm, TokenInfoView, TokenKind } from '../core/shared/models.js';
export type { AccountStatus, AccountSummary, Settings, TokenDetails, TokenForm, TokenInfoView, TokenKind } from '../core/shared/models.js';

export type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface AccountTokens {
  access: TokenDetails;
  /** The account's own ID token; null for service accounts (theirs need an audience) or without openid. */
  id: (TokenDetails & { header: Record<string, unknown>; claims: Record<string, unknown> }) | null;
  /** The access token of the account's impersonation target, when one is set. */
  impersonated: { target: string; access: TokenDetails | null; error?: string } | null;
}

/** Which token a copy takes: the account's own, its impersonation target's, or an ID token for an audience. */
export interface CopyOptions {
  impersonated?: boolean;
  audience?: string;
}

export interface SignInRequest {
  /** Scopes as typed (comma or space separated items; Google short names accepted). */
  scopes?: string[];
  loginHint?: string;
  /** Text of a client_secret_*.json the user picked; else clientId/clientSecret; else remembered. */
  clientJson?: string;
  clientId?: string;
  clientSecret?: string;
  issuer?: string;
  flavor?: 'google' | 'oidc';
  /** For "sign in again": the account whose issuer and client to reuse. */
  accountId?: string;
}

export interface CopyResult {
  kind: TokenKind;
  form: TokenForm;
  expiresAt: number;
}

/** The metadata-server emulator the window can switch on: where it listens and for whom. */
export interface MetadataStatus {
  running: boolean;
  /** `127.0.0.1:PORT` while running. */
  host?: string;
  accountId?: string;
  /** The lines to paste into a shell. */
  exports?: string;
}

/** Cloud Console pages the window's first-run guide links to; main owns the URLs. */
export const GUIDE_PAGES = {
  'consent-screen': 'https://console.cloud.google.com/apis/credentials/consent',
  credentials: 'https://console.cloud.google.com/apis/credentials',
} as const;
export type GuidePage = keyof typeof GUIDE_PAGES;

/** invoke channels: name → [arguments, result]. */
export interface InvokeChannels {
  'accounts:list': [[], AccountSummary[]];
  'accounts:sign-in': [[SignInRequest], AccountSummary];
  'accounts:cancel-sign-in': [[], boolean];
  'accounts:remove': [[string], { revoked: boolean }];
  'accounts:set-default': [[string], AccountSummary[]];
  'tokens:get': [[string], AccountTokens];
  'tokens:refresh': [[string], AccountTokens];
  'tokens:copy': [[string, TokenKind, TokenForm, CopyOptions?], CopyResult];
  'tokens:info': [[string], TokenInfoView];
  'accounts:import-service-account': [[string], AccountSummary];
  'accounts:set-impersonation': [[string, string[]], AccountSummary[]];
  'metadata:get': [[], MetadataStatus];
  'metadata:set': [[{ enabled: boolean; accountId?: string }], MetadataStatus];
  'settings:get': [[], Settings];
  'settings:set': [[Partial<Settings>], Settings];
  'accounts:import-adc': [[], AccountSummary];
  'metadata:copy-exports': [[], boolean];
  'guide:open': [[GuidePage], boolean];
}

export type InvokeChannel = keyof InvokeChannels;
export type ChannelArgs<C extends InvokeChannel> = InvokeChannels[C][0];
export type ChannelResult<C extends InvokeChannel> = InvokeChannels[C][1];

/** Events main sends to the renderer. */
export const CHANGED_EVENT = 'accounts:changed';
/** The tray's "Add account…": the window opens its add-account panel. */
export const ADD_ACCOUNT_EVENT = 'ui:add-account';

export const INVOKE_CHANNELS: readonly InvokeChannel[] = [
  'accounts:list',
  'accounts:sign-in',
  'accounts:cancel-sign-in',
  'accounts:remove',
  'accounts:set-default',
  'tokens:get',
  'tokens:refresh',
  'tokens:copy',
  'tokens:info',
  'accounts:import-service-account',
  'accounts:set-impersonation',
  'metadata:get',
  'metadata:set',
  'settings:get',
  'settings:set',
  'accounts:import-adc',
  'metadata:copy-exports',
  'guide:open',
];

/** What the preload exposes as `window.tokentray`; every method resolves to a Result. */
export interface TokenTrayApi {
  listAccounts(): Promise<Result<AccountSummary[]>>;
  signIn(request: SignInRequest): Promise<Result<AccountSummary>>;
  cancelSignIn(): Promise<Result<boolean>>;
  removeAccount(id: string): Promise<Result<{ revoked: boolean }>>;
  setDefault(id: string): Promise<Result<AccountSummary[]>>;
  getTokens(id: string): Promise<Result<AccountTokens>>;
  refreshTokens(id: string): Promise<Result<AccountTokens>>;
  copy(id: string, kind: TokenKind, form: TokenForm, options?: CopyOptions): Promise<Result<CopyResult>>;
  getTokenInfo(id: string): Promise<Result<TokenInfoView>>;
  /** Imports a service-account key from the JSON text of its file. */
  importServiceAccount(json: string): Promise<Result<AccountSummary>>;
  /** Sets (or with [] clears) the account's impersonation target: service account first, then delegates. */
  setImpersonation(id: string, chain: string[]): Promise<Result<AccountSummary[]>>;
  getMetadataServer(): Promise<Result<MetadataStatus>>;
  /** Starts (for the account, else the default one) or stops the metadata-server emulator. */
  setMetadataServer(request: { enabled: boolean; accountId?: string }): Promise<Result<MetadataStatus>>;
  getSettings(): Promise<Result<Settings>>;
  setSettings(settings: Partial<Settings>): Promise<Result<Settings>>;
  /** Imports the ADC file `gcloud auth application-default login` wrote, as an account. */
  importAdc(): Promise<Result<AccountSummary>>;
  /** Puts the running metadata server's export lines on the clipboard (the renderer has no clipboard). */
  copyMetadataExports(): Promise<Result<boolean>>;
  /** Opens a Cloud Console page of the first-run guide in the system browser. */
  openGuide(page: GuidePage): Promise<Result<boolean>>;
  /** Calls back whenever accounts change (sign-in, removal, status); returns an unsubscribe. */
  onChange(callback: () => void): () => void;
  /** Calls back when the tray asks for the add-account panel; returns an unsubscribe. */
  onAddAccountRequested(callback: () => void): () => void;
}

/** Which channel each API method invokes; the preload and the test transport both use it. */
export const API_CHANNELS = {
  listAccounts: 'accounts:list',
  signIn: 'accounts:sign-in',
  cancelSignIn: 'accounts:cancel-sign-in',
  removeAccount: 'accounts:remove',
  setDefault: 'accounts:set-default',
  getTokens: 'tokens:get',
  refreshTokens: 'tokens:refresh',
  copy: 'tokens:copy',
  getTokenInfo: 'tokens:info',
  importServiceAccount: 'accounts:import-service-account',
  setImpersonation: 'accounts:set-impersonation',
  getMetadataServer: 'metadata:get',
  setMetadataServer: 'metadata:set',
  getSettings: 'settings:get',
  setSettings: 'settings:set',
  importAdc: 'accounts:import-adc',
  copyMetadataExports: 'metadata:copy-exports',
  openGuide: 'guide:open',
} as const satisfies Record<Exclude<keyof TokenTrayApi, 'onChange' | 'onAddAccountRequested'>, InvokeChannel>;
