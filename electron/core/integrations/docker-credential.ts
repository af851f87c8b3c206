import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage/atomic-file.js';
import { TokenTrayError } from '../shared/errors.js';
import { readBoundedFile } from '../storage/read-user-file.js';
import type { AccountRecord } from '../accounts/account-registry.js';
import type { Core } from '../core.js';
import { parseJsonObject } from '../shared/json-object.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The helper's name in docker's `credHelpers` (docker runs `docker-credential-` + this). */
export const HELPER_NAME = 'tokentray';
/** The user name Google's registries take with an OAuth access token as the password. */
export const DOCKER_USERNAME = 'oauth2accesstoken';
export const DEFAULT_REGISTRIES = ['gcr.io', 'us.gcr.io', 'eu.gcr.io', 'asia.gcr.io'] as const;
/** Which registries use TokenTray, and with which account (absent: the default one); in TOKENTRAY_HOME. */
const REGISTRIES_FILE = 'docker-registries.json';

/** Per registry: the account's id (absent: the default account) and its email, to name it once it is gone. */
export type RegistryAccounts = Record<string, { account?: string; email?: string }>;

/**
 * Google's registry hosts, the shapes of gcloud's own list (googlecloudsdk/core/docker/constants.py,
 * ALL_SUPPORTED_REGISTRIES): gcr.io and its subdomains (regional, mirror, launcher, k8s), Artifact
 * Registry's LOCATION-docker.pkg.dev and its regional endpoints docker.LOCATION.rep.pkg.dev.
 */
const GOOGLE_REGISTRY_HOSTS = [
  /^gcr\.io$/,
  /^[a-z0-9]+(?:-[a-z0-9]+)*\.gcr\.io$/,
  /^[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev$/,
  /^docker\.[a-z0-9]+(?:-[a-z0-9]+)*\.rep\.pkg\.dev$/,
];

/** Whether docker would send a token for this registry to Google (a host as registryHost returns it). */
function isGoogleRegistry(host: string): boolean {
  return GOOGLE_REGISTRY_HOSTS.some((pattern) => pattern.test(host));
}

/** Refuses a registry that is not Google's unless the user allowed it: it would receive a Google token. */
export function checkRegistryHosts(registries: readonly string[], allowOther: boolean): string[] {
  const others = registries.filter((r) => !isGoogleRegistry(r));
  if (others.length > 0 && !allowOther) {
    throw new TokenTrayError(
      'REGISTRY_NOT_GOOGLE',
      `${others.join(', ')} ${others.length === 1 ? 'is not a' : 'are not'} Google registr${others.length === 1 ? 'y' : 'ies'} (gcr.io, *.gcr.io, LOCATION-docker.pkg.dev, docker.LOCATION.rep.pkg.dev); docker would hand ${others.length === 1 ? 'it' : 'them'} a Google access token. Nothing was changed.`,
      { facts: { remedy: 'allow-other-registry' } },
    );
  }
  return others;
}

/**
 * The registry a server URL names, as docker keys `credHelpers`: the host (and port), without
 * scheme or path. `https://us-docker.pkg.dev/v2/` → `us-docker.pkg.dev`.
 */
export function registryHost(serverUrl: string): string {
  const text = serverUrl.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TokenTrayError('USAGE', `"${text.slice(0, 100)}" is not a registry host name.`);
  }
  if (!url.hostname || url.username || url.password) throw new TokenTrayError('USAGE', `"${text.slice(0, 100)}" is not a registry host name.`);
  return url.host.toLowerCase();
}

function dockerConfigPath(env: Env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

async function readJsonObject(path: string, code: 'DOCKER_CONFIG_INVALID' | 'REGISTRY_CORRUPT', what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBoundedFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    // A FIFO or an endless file: refused by the bounded reader with its own code.
    if (err instanceof TokenTrayError) throw err;
    throw new TokenTrayError(code, `Cannot read ${what} ${path}: ${(err as Error).message}.`, { cause: err });
  }
  if (text.trim() === '') return {};
  return parseJsonObject(text, (problem) =>
    problem === 'not-json'
      ? new TokenTrayError(code, `${what} ${path} is not valid JSON; it was left untouched. Repair it and try again.`)
      : new TokenTrayError(code, `${what} ${path} is not a JSON object; it was left untouched.`),
  );
}

/**
 * Adds `credHelpers` entries for the registries to docker's config.json, keeping every other key
 * and entry. Written atomically (through a symlink to its target); nothing is written when the
 * file is not JSON we understand.
 */
export async function addDockerCredHelpers(env: Env, registries: readonly string[]): Promise<{ path: string; replaced: Record<string, string> }> {
  const path = dockerConfigPath(env);
  const doc = await readJsonObject(path, 'DOCKER_CONFIG_INVALID', "Docker's configuration");
  const helpers = doc.credHelpers ?? {};
  if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers))
    throw new TokenTrayError('DOCKER_CONFIG_INVALID', `"credHelpers" in ${path} is not a JSON object; it was left untouched.`);
  const entries = helpers as Record<string, unknown>;
  const replaced: Record<string, string> = {};
  for (const registry of registries) {
    const before = entries[registry];
    if (typeof before === 'string' && before !== HELPER_NAME) replaced[registry] = before;
    entries[registry] = HELPER_NAME;
  }
  doc.credHelpers = entries;
  const target = await realpath(path).catch(() => path);
  await writeFileAtomic(target, `${JSON.stringify(doc, null, '\t')}\n`);
  return { path, replaced };
}

export async function readRegistryAccounts(home: string): Promise<RegistryAccounts> {
  const doc = await readJsonObject(join(home, REGISTRIES_FILE), 'REGISTRY_CORRUPT', "TokenTray's docker registry list");
  const out: RegistryAccounts = {};
  for (const [registry, value] of Object.entries(doc)) {
    const { account, email } = (value ?? {}) as { account?: unknown; email?: unknown };
    out[registry] = typeof account === 'string' ? { account, ...(typeof email === 'string' ? { email } : {}) } : {};
  }
  return out;
}

export async function rememberRegistryAccounts(
  home: string,
  registries: readonly string[],
  account: { id: string; email?: string } | undefined,
): Promise<void> {
  const known = await readRegistryAccounts(home);
  for (const registry of registries) known[registry] = account ? { account: account.id, ...(account.email ? { email: account.email } : {}) } : {};
  await writeFileAtomic(join(home, REGISTRIES_FILE), `${JSON.stringify(known, null, 2)}\n`);
}

/** Forgets the registries in TokenTray's list; returns those it had. */
export async function forgetRegistryAccounts(home: string, registries: readonly string[]): Promise<string[]> {
  const known = await readRegistryAccounts(home);
  const forgotten = registries.filter((r) => r in known);
  for (const registry of forgotten) delete known[registry];
  if (forgotten.length > 0) await writeFileAtomic(join(home, REGISTRIES_FILE), `${JSON.stringify(known, null, 2)}\n`);
  return forgotten;
}

/** The registries configured with this account. */
export async function registriesOfAccount(home: string, accountId: string): Promise<string[]> {
  return Object.entries(await readRegistryAccounts(home))
    .filter(([, v]) => v.account === accountId)
    .map(([r]) => r);
}

/**
 * Removes the `credHelpers` entries that point at TokenTray for these registries, keeping every
 * other key and entry (another helper's entry for the same registry stays). Written as
 * addDockerCredHelpers writes.
 */
export async function removeDockerCredHelpers(env: Env, registries: readonly string[]): Promise<{ path: string; removed: string[] }> {
  const path = dockerConfigPath(env);
  const doc = await readJsonObject(path, 'DOCKER_CONFIG_INVALID', "Docker's configuration");
  const helpers = doc.credHelpers;
  if (helpers === undefined) return { path, removed: [] };
  if (typeof helpers !== 'object' || helpers === null || Array.isArray(helpers))
    throw new TokenTrayError('DOCKER_CONFIG_INVALID', `"credHelpers" in ${path} is not a JSON object; it was left untouched.`);
  const entries = helpers as Record<string, unknown>;
  const removed = registries.filter((r) => entries[r] === HELPER_NAME);
  if (removed.length === 0) return { path, removed };
  for (const registry of removed) delete entries[registry];
  const target = await realpath(path).catch(() => path);
  await writeFileAtomic(target, `${JSON.stringify(doc, null, '\t')}\n`);
  return { path, removed };
}

/**
 * The account to answer a registry with: the one configure-docker recorded for it. Undefined for a
 * registry not set up (a hand-edited docker config, a typo): no Google token leaves for it. The
 * docker helper and the agent both ask here.
 */
export async function accountForRegistry(core: Core, serverUrl: string, caller?: string): Promise<AccountRecord | undefined> {
  const registry = registryHost(serverUrl);
  const entry = (await readRegistryAccounts(core.home))[registry];
  if (!entry) return undefined;
  try {
    // A registry set up without an account serves the caller's (TOKENTRAY_ACCOUNT), else the default.
    return await core.accounts.resolve(entry.account ?? caller);
  } catch (err) {
    if (entry.account && err instanceof TokenTrayError && err.code === 'ACCOUNT_NOT_FOUND') {
      throw new TokenTrayError('ACCOUNT_NOT_FOUND', `${registry} was set up with ${entry.email ?? 'an account'} that is no longer signed in to TokenTray.`, {
        cause: err,
      });
    }
    throw err;
  }
}
