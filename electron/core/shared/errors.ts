/**
 * Every failure TokenTray reports carries a stable `code` (scripts and the UI branch on it) and a
 * sentence the user can act on. The underlying error is kept as a non-enumerable `cause` so that
 * HTTP responses and other secret-bearing objects never reach JSON output or logs by accident.
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
  | 'INVALID_PROJECT'
  | 'DOCKER_CONFIG_INVALID'
  | 'METADATA_SERVER_STOPPED';

export class TokenTrayError extends Error {
  readonly code: ErrorCode;
  declare readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'TokenTrayError';
    this.code = code;
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
