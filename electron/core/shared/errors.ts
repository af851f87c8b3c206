/**
 * Every failure TokenTray reports carries a stable `code` (scripts and the UI branch on it), a
 * sentence saying what happened, and facts. The sentence names no command or button: what the user
 * can do about it is a `remedy` among the facts, and each surface (the CLI, the window) words it
 * in its own terms (electron/cli/remedies.ts, electron/app/remedies.ts). The underlying error is
 * kept as a non-enumerable `cause` so that HTTP responses and other secret-bearing objects never
 * reach JSON output or logs by accident.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CLIENT_FILE_UNREADABLE'
  | 'CLIENT_FILE_INVALID_JSON'
  | 'CLIENT_FILE_WEB_CLIENT'
  | 'CLIENT_FILE_WRONG_TYPE'
  | 'CLIENT_FILE_INVALID'
  | 'CLIENT_REQUIRED'
  | 'INVALID_ISSUER'
  | 'INSECURE_ISSUER'
  | 'DISCOVERY_FAILED'
  | 'PROVIDER_UNREACHABLE'
  | 'PROXY_UNREACHABLE'
  | 'PROVIDER_ERROR'
  | 'LOGIN_TIMEOUT'
  | 'LOGIN_CANCELLED'
  | 'LOGIN_DENIED'
  | 'LOGIN_FAILED'
  | 'NO_REFRESH_TOKEN'
  | 'KEYCHAIN_UNAVAILABLE'
  | 'KEYCHAIN_ENTRY_MISSING'
  | 'REGISTRY_CORRUPT'
  | 'REGISTRY_UNWRITABLE'
  | 'NO_ACCOUNTS'
  | 'ACCOUNT_NOT_FOUND'
  | 'ACCOUNT_AMBIGUOUS'
  | 'REAUTH_REQUIRED'
  | 'TOKEN_REFRESH_FAILED'
  | 'NO_ID_TOKEN'
  | 'REVOKE_FAILED'
  | 'INVALID_ARGUMENT'
  | 'UNTRUSTED_SENDER'
  | 'SIGN_IN_IN_PROGRESS'
  | 'SETTINGS_INVALID'
  | 'SHORTCUT_UNAVAILABLE'
  | 'AUTOSTART_FAILED'
  | 'FOLDER_UNAVAILABLE'
  | 'SA_KEY_UNREADABLE'
  | 'SA_KEY_INVALID_JSON'
  | 'SA_KEY_WRONG_TYPE'
  | 'SA_KEY_INVALID'
  | 'SA_KEY_BAD_PEM'
  | 'NOT_A_SERVICE_ACCOUNT'
  | 'AUDIENCE_REQUIRED'
  | 'AUDIENCE_NOT_SUPPORTED'
  | 'IMPERSONATION_NEEDS_SCOPE'
  | 'IMPERSONATION_DENIED'
  | 'IMPERSONATION_FAILED'
  | 'INVALID_ENDPOINT'
  | 'TOKENINFO_FAILED'
  | 'PORT_UNAVAILABLE'
  | 'ADC_FILE_UNREADABLE'
  | 'ADC_FILE_INVALID'
  | 'ADC_GOOGLE_ONLY'
  | 'ADC_FILE_EXISTS'
  | 'FEDERATION_SOURCE_UNSUPPORTED'
  | 'FEDERATION_EXCHANGE_FAILED'
  | 'FEDERATION_EXECUTABLE_NOT_ALLOWED'
  | 'FEDERATION_EXECUTABLE_FAILED'
  | 'SUBJECT_TOKEN_UNAVAILABLE'
  | 'COMMAND_FAILED'
  | 'IDENTITY_INVALID'
  | 'INSECURE_ENDPOINT'
  | 'SA_KEY_WEAK'
  | 'SA_KEY_BAD_TOKEN_URI'
  | 'PROVIDER_BAD_RESPONSE'
  | 'FILE_NOT_REGULAR'
  | 'FILE_TOO_LARGE'
  | 'LOCK_TIMEOUT'
  | 'SCOPE_NOT_GRANTED'
  | 'CLIENT_IN_USE'
  | 'INSECURE_URL'
  | 'AMBIGUOUS_URL'
  | 'CURL_OPTION_REFUSED'
  | 'INVALID_PROJECT'
  | 'INVALID_PROJECT_NUMBER'
  | 'PROJECT_NUMBER_WITHOUT_PROJECT'
  | 'QUOTA_PROJECT_NOT_FOR_SERVICE_ACCOUNTS'
  | 'CONSOLE_NOT_FOR_SERVICE_ACCOUNTS'
  | 'CONSOLE_GOOGLE_ONLY'
  | 'DOCKER_CONFIG_INVALID'
  | 'REGISTRY_NOT_GOOGLE'
  | 'LOGIN_START_REUSED'
  | 'LOGIN_IDENTITY_MISMATCH'
  | 'EXTERNAL_URL_REFUSED'
  | 'LOGIN_PASTE_INVALID'
  | 'KEYCHAIN_CHOICE_INVALID'
  | 'VAULT_PASSPHRASE_REQUIRED'
  | 'VAULT_PASSPHRASE_WRONG'
  | 'VAULT_DAMAGED'
  | 'VAULT_UNWRITABLE'
  | 'METADATA_SERVER_STOPPED'
  | 'AGENT_RUNNING'
  | 'AGENT_NOT_RUNNING'
  | 'AGENT_UNSAFE'
  | 'AGENT_UNAVAILABLE'
  | 'INPUT_TOO_LARGE'
  | 'CLIENT_AMBIGUOUS'
  | 'CLIENT_NOT_FOUND'
  | 'CLIENT_SECRET_MISSING'
  | 'SIGN_IN_NOT_FOR_SERVICE_ACCOUNTS'
  | 'KEYCHAIN_ENTRY_DAMAGED'
  | 'APP_QUITTING';

/** What the user can do about a failure; each surface says it in its own words. */
export type Remedy =
  /** Sign in for the first time. */
  | 'sign-in'
  /** Sign this account in again (`facts.account`; with `facts.scope` when a scope is missing). */
  | 'sign-in-again'
  /** Sign in that user instead of importing the file (`facts.path`). */
  | 'sign-in-instead'
  /** Use the file (`facts.path`) as the OAuth client of a sign-in. */
  | 'use-as-client-file'
  /** Import a service-account key (`facts.path` when the user gave one). */
  | 'import-service-account'
  /** Import this service account's key again (`facts.account`). */
  | 'import-key-again'
  /** See which accounts there are. */
  | 'list-accounts'
  /** Try again, or forget the account here without revoking its grant (`facts.accountId`). */
  | 'forget-without-revoke'
  /** Give tools the account's tokens through the metadata-server emulator instead. */
  | 'use-metadata-server'
  /** Give the file of an OAuth client to sign in with (`facts.issuer` when not Google's). */
  | 'give-client-file'
  /** Give the file of this stored OAuth client again (`facts.issuer`, `facts.account` to sign in). */
  | 'give-client-file-again'
  /** See which OAuth clients are stored. */
  | 'list-clients'
  /** Sign out the accounts that use the OAuth client, forgetting it with them (`facts.account`). */
  | 'sign-out-client-users'
  /** Create a new key of the service account and import it (`facts.account`). */
  | 'import-new-key'
  /** End the TokenTray process holding a lock if it is stuck (`facts.pid`), then try again. */
  | 'end-stuck-process'
  /** A service account takes no quota project: leave it out. */
  | 'leave-out-quota-project'
  /** Choose a Google user account (the Cloud Console knows only those). */
  | 'choose-google-user'
  /** Check the proxy variables the process was given; NO_PROXY lists hosts reached directly. */
  | 'check-proxy'
  /** Accept a registry that is not Google's, if it may have a Google access token. */
  | 'allow-other-registry'
  /** Use https, or allow plain http to another machine explicitly (curl's host check). */
  | 'allow-insecure-http'
  /** Give the file vault (`facts.path`) its passphrase: TOKENTRAY_FILE_PASSPHRASE, or a terminal's prompt. */
  | 'give-vault-passphrase'
  /** Replace the file (`facts.path`), or write to another one. */
  | 'replace-or-choose-file'
  | 'set-project-first'
  /** Choose another port, or none to get a free one. */
  | 'choose-another-port'
  /** Name the audience: the URL (or client id) of the service that will check the ID token. */
  | 'give-audience'
  /** Impersonate a service account for the ID token, or use a service-account key. */
  | 'impersonate-or-use-key'
  /** Sign in with the Google flavor, if the issuer behaves like Google (`facts.issuer`). */
  | 'try-google-flavor';

/** Facts about a failure that a surface needs to word its advice. Never secrets. */
export interface ErrorFacts {
  remedy?: Remedy;
  /** The account concerned, as shown to the user (email, else subject). */
  account?: string;
  accountId?: string;
  /** A file concerned. */
  path?: string;
  /** A scope the account must grant; several comma-separated when the grant must hold them all. */
  scope?: string;
  /** The issuer concerned, when it matters for the advice. */
  issuer?: string;
  /** A process concerned. */
  pid?: number;
}

export class TokenTrayError extends Error {
  readonly code: ErrorCode;
  readonly facts: Readonly<ErrorFacts>;
  declare readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; facts?: ErrorFacts }) {
    super(message);
    this.name = 'TokenTrayError';
    this.code = code;
    this.facts = Object.freeze({ ...options?.facts });
    if (options && 'cause' in options) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: false });
    }
  }

  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isTokenTrayError(err: unknown, code?: ErrorCode): err is TokenTrayError {
  return err instanceof TokenTrayError && (code === undefined || err.code === code);
}
