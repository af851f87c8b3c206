type Env = Readonly<Record<string, string | undefined>>;

/**
 * Variables that hold TokenTray's own secrets: the file vault's passphrase (PASSPHRASE_ENV of
 * storage/vault-passphrase.ts) opens every refresh token and client secret in the vault.
 */
export const SECRET_ENV: readonly string[] = ['TOKENTRAY_FILE_PASSPHRASE'];

/** The environment for any process TokenTray starts: the parent's, without TokenTray's secrets. */
export function childEnvironment(parent: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined && !SECRET_ENV.includes(k)) env[k] = v;
  return env;
}

/**
 * For a long-lived process whose children TokenTray does not spawn itself (the desktop app: the
 * system opens URLs and folders, the updater runs installers): a private copy of the environment
 * for the core, and the secrets removed from the live one, which every child inherits.
 */
export function keepSecretsFromChildren(live: Record<string, string | undefined>): Env {
  const own = { ...live };
  for (const name of SECRET_ENV) delete live[name];
  return own;
}
