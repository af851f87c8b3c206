/**
 * What TokenTray's accounts and tokens look like to every surface (CLI, window, tray). Plain types,
 * no imports: the core owns them; the IPC contract and the renderer reuse them.
 */

export type AccountStatus = 'ready' | 'signin_required';

export interface AccountSummary {
  id: string;
  kind: 'user' | 'service_account' | 'workforce' | 'workload';
  email: string | null;
  subject: string;
  issuer: string;
  flavor: 'google' | 'oidc';
  scopes: string[];
  default: boolean;
  status: AccountStatus;
  statusReason?: string;
  /** Impersonation target (service account first, then delegates); empty when none. */
  impersonate: string[];
  projectId?: string;
  /** The project set for this account (`tokentray configure --project`), else its key's project. */
  project?: string;
  /** User accounts: the project billed for API calls (x-goog-user-project). */
  quotaProject?: string;
}

export type TokenKind = 'access' | 'id';
/** How a token goes onto the clipboard: as is, as an HTTP header, or as a ready curl command. */
export type TokenForm = 'raw' | 'header' | 'curl';

export interface TokenDetails {
  token: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** What `tokentray info` shows, for the window. */
export interface TokenInfoView {
  email: string | null;
  scopes: string[];
  expiresAt: number;
  expiresIn: number;
  tokenType: 'Bearer';
  source: 'tokeninfo' | 'introspection' | 'jwt' | 'local';
  audience?: string;
  authorizedParty?: string;
}

export interface Settings {
  /** Seconds after which a copied token is cleared from the clipboard; 0 = never. */
  clipboardClearSeconds: number;
  /** Electron accelerator that copies the default account's access token; '' = none. */
  globalShortcut: string;
  /** The app checks for updates at start and once a day, and downloads them in the background. */
  checkForUpdates: boolean;
  /** The app starts (hidden, in the tray) when the user logs in. */
  startAtLogin: boolean;
}
