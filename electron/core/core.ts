import { AgentFirstTokenService } from './agent/agent-first-tokens.js';
import { AccountRegistry } from './accounts/account-registry.js';
import { AccountService } from './accounts/account-service.js';
import { CredentialVault } from './storage/credential-vault.js';
import { ChosenSecretStore } from './storage/keychain-choice.js';
import { appDataDir } from './storage/paths.js';
import type { SecretStore } from './storage/secret-store.js';
import { TokenService } from './tokens/token-service.js';

export interface CoreOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to the OS keychain through keytar, or the file vault (TOKENTRAY_KEYCHAIN=file). */
  store?: SecretStore;
  now?: () => number;
  /** The account used when a caller names none, before the default one (the CLI's TOKENTRAY_ACCOUNT). */
  fallbackAccount?: string;
  /** Ask a running agent for tokens first (the CLI); never for the agent or app that serve it. */
  askAgentFirst?: boolean;
}

/** The services the CLI and the desktop app share, over one app-data folder and keychain service. */
export interface Core {
  readonly home: string;
  readonly accounts: AccountService;
  readonly tokens: TokenService;
}

export function createCore(options: CoreOptions = {}): Core {
  const env = options.env ?? process.env;
  const home = appDataDir(env);
  const vault = new CredentialVault(options.store ?? new ChosenSecretStore(env, home));
  const accounts = new AccountService(new AccountRegistry(home), vault, options.fallbackAccount);
  // Loaded only when a sign-out was left unfinished: it brings openid-client.
  accounts.finishSignOuts = async () => (await import('./oauth/sign-out.js')).finishInterruptedSignOuts(accounts);
  const tokenOptions = { env, ...(options.now ? { now: options.now } : {}) };
  const tokens = options.askAgentFirst ? new AgentFirstTokenService(accounts, env, tokenOptions) : new TokenService(accounts, tokenOptions);
  return { home, accounts, tokens };
}
