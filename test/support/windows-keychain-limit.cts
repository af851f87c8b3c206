/**
 * Windows Credential Manager refuses a secret over CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512 bytes);
 * keytar writes UTF-8 and reports it as "The stub received bad data." Tests run under this
 * limit on Linux, so what passes here fits Windows. CommonJS with no imports: the keychain preload
 * of every CLI process a test starts requires it (see windows-keychain-preload.cts).
 */
const WINDOWS_MAX_BLOB_BYTES = 2560;
const WINDOWS_ERROR = 'The stub received bad data.';

function tooBigForWindows(value: string): boolean {
  return Buffer.byteLength(value, 'utf8') > WINDOWS_MAX_BLOB_BYTES;
}

export = { WINDOWS_MAX_BLOB_BYTES, WINDOWS_ERROR, tooBigForWindows };
