/**
 * The one contract between the renderer, the preload bridge and the main process. Each entry is one
 * call: the method the window sees, the channel it travels on, the check of its arguments (whose
 * return type is the argument list) and its result type. Everything else derives from this table:
 * the renderer's `TokenTrayApi`, the preload (bundled with this file), the channel list that main
 * registers, and the `Handlers` type, which makes a missing handler a compile error.
 *
 * To add a call: add an entry here and its handler under electron/app/handlers/.
 */
import type { AccountSummary, Settings, TokenDetails, TokenForm, TokenInfoView, TokenKind } from '../core/shared/models.js';
import { accountId, count, copyOptions, list, MAX_FILE_TEXT, metadataRequest, oneOf, settingsPatch, signInRequest, text } from './ipc-arguments.js';
import type { CopyOptions, MetadataRequest, SignInRequest } from './ipc-arguments.js';
import type { UpdateState } from './update-policy.js';

export type { AccountStatus, AccountSummary, Settings, TokenDetails, TokenForm, TokenInfoView, TokenKind } from '../core/shared/models.js';
export type { CopyOptions, MetadataRequest, SignInRequest } from './ipc-arguments.js';

/** What every call resolves to: nothing throws across IPC. */
export type Result<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

export interface AccountTokens {
  access: TokenDetails;
  /** The account's own ID token; null for service accounts (theirs need an audience) or without openid. */
  id: (TokenDetails & { header: Record<string, unknown>; claims: Record<string, unknown> }) | null;
  /** The access token of the account's impersonation target, when one is set. */
  impersonated: { target: string; access: TokenDetails | null; error?: string } | null;
}

export interface CopyResult {
  kind: TokenKind;
  form: TokenForm;
  expiresAt: number;
}

/** The app's update as the window shows it: a line, and the button's label when a restart is on offer. */
export interface UpdateView {
  state: UpdateState['kind'];
  text?: string;
  action?: string;
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

/** Cloud Console pages the window's first-run guide links to; main owns the URLs, the window names them. */
export const GUIDE_PAGES = {
  'consent-screen': 'https://console.cloud.google.com/apis/credentials/consent',
  credentials: 'https://console.cloud.google.com/apis/credentials',
} as const;
export type GuidePage = keyof typeof GUIDE_PAGES;

/** One call: its channel, its argument check and (as a type only) its result. */
export interface Call<C extends string, A extends unknown[], R> {
  readonly channel: C;
  /** Returns the arguments, checked, or throws an ArgumentError. */
  readonly validate: (args: readonly unknown[]) => A;
  /** Never set: carries the result type. */
  readonly result?: R;
}

function call<C extends string, A extends unknown[]>(channel: C, validate: (args: readonly unknown[]) => A) {
  return { returns: <R>(): Call<C, A, R> => ({ channel, validate }) };
}

const none = (args: readonly unknown[]): [] => (count(args, 0), []);
const oneAccount = (args: readonly unknown[]): [accountId: string] => [accountId(count(args, 1)[0])];

export const CONTRACT = {
  listAccounts: call('accounts:list', none).returns<AccountSummary[]>(),
  signIn: call('accounts:sign-in', (a): [request: SignInRequest] => [signInRequest(count(a, 1)[0])]).returns<AccountSummary>(),
  cancelSignIn: call('accounts:cancel-sign-in', none).returns<boolean>(),
  /** Revokes the account's grant at its issuer, then forgets it. */
  removeAccount: call('accounts:remove', oneAccount).returns<{ revoked: boolean }>(),
  setDefault: call('accounts:set-default', oneAccount).returns<AccountSummary[]>(),
  /** Imports a service-account key from the JSON text of its file. */
  importServiceAccount: call('accounts:import-service-account', (a): [keyJson: string] => [
    text(count(a, 1)[0], 'the key file', MAX_FILE_TEXT),
  ]).returns<AccountSummary>(),
  /** Sets (or with [] clears) the account's impersonation target: service account first, then delegates. */
  setImpersonation: call('accounts:set-impersonation', (a): [accountId: string, chain: string[]] => {
    const [id, chain] = count(a, 2);
    return [accountId(id), list(chain, 'the chain of service accounts', 10, (e) => text(e, 'each service account', 320))];
  }).returns<AccountSummary[]>(),
  /** Sets (or with '' clears) the project billed for a user account's API calls. */
  setQuotaProject: call('accounts:set-quota-project', (a): [accountId: string, project: string] => {
    const [id, project] = count(a, 2);
    return [accountId(id), project === '' ? '' : text(project, 'the quota project', 100)];
  }).returns<AccountSummary[]>(),
  getTokens: call('tokens:get', oneAccount).returns<AccountTokens>(),
  refreshTokens: call('tokens:refresh', oneAccount).returns<AccountTokens>(),
  copy: call('tokens:copy', (a): [accountId: string, kind: TokenKind, form: TokenForm, options?: CopyOptions] => {
    const [id, kind, form, options] = count(a, 3, 4);
    const base = [
      accountId(id),
      oneOf(kind, 'the token kind', ['access', 'id'] as const),
      oneOf(form, 'the form', ['raw', 'header', 'curl'] as const),
    ] as const;
    return options === undefined ? [...base] : [...base, copyOptions(options)];
  }).returns<CopyResult>(),
  getTokenInfo: call('tokens:info', oneAccount).returns<TokenInfoView>(),
  getMetadataServer: call('metadata:get', none).returns<MetadataStatus>(),
  /** Starts (for the account, else the default one) or stops the metadata-server emulator. */
  setMetadataServer: call('metadata:set', (a): [request: MetadataRequest] => [metadataRequest(count(a, 1)[0])]).returns<MetadataStatus>(),
  /** Puts the running metadata server's export lines on the clipboard (the window has no clipboard). */
  copyMetadataExports: call('metadata:copy-exports', none).returns<boolean>(),
  /** Imports the ADC file `gcloud auth application-default login` wrote, as an account (no client of one's own). */
  importAdc: call('accounts:import-adc', none).returns<AccountSummary>(),
  /** Opens a Cloud Console page of the first-run guide in the system browser. */
  /** The Cloud Console as this account (the address `tokentray console` opens), in the system browser. */
  openConsole: call('accounts:open-console', oneAccount).returns<boolean>(),
  openGuide: call('guide:open', (a): [page: GuidePage] => [oneOf(count(a, 1)[0], 'the page', Object.keys(GUIDE_PAGES) as GuidePage[])]).returns<boolean>(),
  getSettings: call('settings:get', none).returns<Settings>(),
  setSettings: call('settings:set', (a): [settings: Partial<Settings>] => [settingsPatch(count(a, 1)[0])]).returns<Settings>(),
  /** Opens TokenTray's folder (where accounts.json is) in the file manager; resolves to its path. */
  openAccountsFolder: call('accounts:open-folder', none).returns<string>(),
  /** A damaged accounts.json: kept as a dated copy beside it, and the list starts empty. The copy's path, or null if it reads fine again. */
  startFresh: call('accounts:start-fresh', none).returns<string | null>(),
  getUpdate: call('update:get', none).returns<UpdateView>(),
  /** Quits and installs the downloaded, verified update; false when none is waiting. */
  restartToUpdate: call('update:restart', none).returns<boolean>(),
} as const;

/** Events main sends to the renderer, by the API method that subscribes to them. */
export const EVENTS = {
  /** Accounts changed (sign-in, removal, status). */
  onChange: 'accounts:changed',
  /** The tray's "Add account…": the window opens its add-account panel. */
  onAddAccountRequested: 'ui:add-account',
} as const;
export const CHANGED_EVENT = EVENTS.onChange;
export const ADD_ACCOUNT_EVENT = EVENTS.onAddAccountRequested;

type Contract = typeof CONTRACT;
type Entry = Contract[keyof Contract];
type ArgsOf<E> = E extends Call<string, infer A, unknown> ? A : never;
type ResultOf<E> = E extends Call<string, unknown[], infer R> ? R : never;

export type InvokeChannel = Entry['channel'];
export type ChannelArgs<C extends InvokeChannel> = ArgsOf<Extract<Entry, { channel: C }>>;
export type ChannelResult<C extends InvokeChannel> = ResultOf<Extract<Entry, { channel: C }>>;

/** What the preload exposes as `window.tokentray`: every call resolves to a Result; events return an unsubscribe. */
export type TokenTrayApi = { [M in keyof Contract]: (...args: ArgsOf<Contract[M]>) => Promise<Result<ResultOf<Contract[M]>>> } & {
  [M in keyof typeof EVENTS]: (callback: () => void) => () => void;
};

/** Which channel each API method invokes. */
export const API_CHANNELS = Object.fromEntries(Object.entries(CONTRACT).map(([method, entry]) => [method, entry.channel])) as {
  readonly [M in keyof Contract]: Contract[M]['channel'];
};

export const INVOKE_CHANNELS: readonly InvokeChannel[] = Object.values(CONTRACT).map((entry) => entry.channel);

const BY_CHANNEL = new Map<string, Entry>(Object.values(CONTRACT).map((entry) => [entry.channel, entry]));

/** The contract's entry for a channel name a renderer sent, if it is one (a Map: no prototype keys). */
export function entryFor(channel: string): Call<InvokeChannel, unknown[], unknown> | undefined {
  return BY_CHANNEL.get(channel);
}
