import { readFileSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeOwnedFolder, sweepOrphanedFolders } from './private-folders.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * gcloud's configuration, read from its files (never by running gcloud, which takes a second).
 * Layout, as gcloud's own sources define it (googlecloudsdk/core/config.py, named_configs.py):
 * the folder is $CLOUDSDK_CONFIG, else %APPDATA%\gcloud on Windows, else ~/.config/gcloud; the active
 * configuration is $CLOUDSDK_ACTIVE_CONFIG_NAME, else the content of `active_config`, else
 * "default"; its properties are the INI file `configurations/config_NAME`.
 */
function gcloudConfigDir(env: Env, platform: NodeJS.Platform = process.platform): string {
  if (env.CLOUDSDK_CONFIG) return env.CLOUDSDK_CONFIG;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'gcloud');
  return join(env.HOME ?? homedir(), '.config', 'gcloud');
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function activeConfigName(env: Env, dir = gcloudConfigDir(env)): string {
  const name = env.CLOUDSDK_ACTIVE_CONFIG_NAME || readText(join(dir, 'active_config'))?.trim() || 'default';
  // A name is a file name component; anything else is not gcloud's and is ignored.
  return /^[a-z0-9][a-z0-9-]*$/i.test(name) ? name : 'default';
}

/** One property of the active configuration's INI file (`section/name`), as configparser reads it. */
function iniValue(text: string, section: string, name: string): string | undefined {
  let current = '';
  let value: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1].trim();
    else if (current === section) {
      const m = /^([^=:#;]+?)\s*[=:]\s*(.*)$/.exec(line);
      if (m && m[1].toLowerCase() === name) value = m[2].trim();
    }
  }
  return value || undefined;
}

/** gcloud's configured project: CLOUDSDK_CORE_PROJECT, else core/project of the active configuration. */
export function gcloudProject(env: Env): string | undefined {
  if (env.CLOUDSDK_CORE_PROJECT) return env.CLOUDSDK_CORE_PROJECT;
  const dir = gcloudConfigDir(env);
  const text = readText(join(dir, 'configurations', `config_${activeConfigName(env, dir)}`));
  return text === undefined ? undefined : iniValue(text, 'core', 'project');
}

/**
 * Properties that would make gcloud use credentials other than TokenTray's: an account of its own
 * (whose refresh token is in gcloud's credential store), a credential or token file, or its own
 * impersonation (TokenTray's account has its own impersonation setting).
 */
const FOREIGN_CREDENTIALS: Record<string, readonly string[]> = {
  core: ['account'],
  auth: ['credential_file_override', 'access_token_file', 'impersonate_service_account'],
};

/** The INI text without the properties that name other credentials; also returns which it dropped. */
export function withoutForeignCredentials(text: string): { text: string; dropped: string[] } {
  return withoutProperties(text, FOREIGN_CREDENTIALS);
}

/**
 * The INI text with `section/name = value`, replacing any value it had. gcloud's configparser is
 * strict (a section twice is an error), so the property goes into the section when there is one.
 */
export function withProperty(text: string, section: string, name: string, value: string): string {
  const lines = withoutProperties(text, { [section]: [name] }).text.split(/\r?\n/);
  const header = lines.findIndex((l) => /^\s*\[(.+)\]\s*$/.exec(l)?.[1].trim() === section);
  if (header >= 0) {
    lines.splice(header + 1, 0, `${name} = ${value}`);
    return lines.join('\n');
  }
  const body = lines.join('\n');
  return `${body}${body === '' || body.endsWith('\n') ? '' : '\n'}[${section}]\n${name} = ${value}\n`;
}

function withoutProperties(text: string, properties: Record<string, readonly string[]>): { text: string; dropped: string[] } {
  const out: string[] = [];
  const dropped: string[] = [];
  let section = '';
  let skipping = false;
  for (const raw of text.split(/\r?\n/)) {
    const header = /^\s*\[(.+)\]\s*$/.exec(raw);
    if (header) {
      section = header[1].trim();
      skipping = false;
      out.push(raw);
      continue;
    }
    // configparser continues a value on indented lines: they go with the property they follow.
    if (skipping && /^\s+\S/.test(raw)) continue;
    skipping = false;
    const m = /^([^=:#;\s][^=:]*?)\s*[=:]/.exec(raw);
    if (m && properties[section]?.includes(m[1].toLowerCase())) {
      dropped.push(`${section}/${m[1].toLowerCase()}`);
      skipping = true;
      continue;
    }
    out.push(raw);
  }
  return { text: out.join('\n'), dropped };
}

const GCLOUD_FOLDER_PREFIX = 'tokentray-gcloud-';

export interface PrivateGcloudConfig {
  /** The value of CLOUDSDK_CONFIG for the command. */
  dir: string;
  /** Properties of the user's configuration that were left out (e.g. `core/account`). */
  dropped: string[];
  remove(): Promise<void>;
}

/**
 * A private gcloud configuration folder for one `tokentray exec`. gcloud decides whether it runs on
 * GCE by asking the metadata server once and caches the answer for 10 minutes in the file `gce` of
 * its configuration folder (googlecloudsdk/core/credentials/gce_cache.py); it stores the GCE account
 * it finds, and access tokens, in the same folder. Pointed at a private copy of the user's active
 * configuration (without the properties that name other credentials), gcloud finds TokenTray's
 * metadata server, and the user's own folder is never written: once exec ends, plain gcloud finds
 * its own cache, account and credentials as they were, and never looks for a server that is gone.
 * The folder is created in XDG_RUNTIME_DIR (memory, on most Linux desktops) when there is one,
 * mode 0700, and removed when the command ends; one a killed exec left is removed by the next exec.
 * gcloud's file log (which holds access tokens) is turned off for it: see execEnvironment.
 * The account's quota project, when it has one, is the copy's `billing/quota_project`.
 */
export async function makePrivateGcloudConfig(env: Env, options: { quotaProject?: string } = {}): Promise<PrivateGcloudConfig> {
  const source = gcloudConfigDir(env);
  const name = activeConfigName(env, source);
  const base = env.XDG_RUNTIME_DIR && process.platform === 'linux' ? env.XDG_RUNTIME_DIR : tmpdir();
  await sweepOrphanedFolders([base, tmpdir()], GCLOUD_FOLDER_PREFIX);
  let dir: string;
  try {
    dir = await makeOwnedFolder(base, GCLOUD_FOLDER_PREFIX);
  } catch {
    dir = await makeOwnedFolder(tmpdir(), GCLOUD_FOLDER_PREFIX);
  }
  const copy = withoutForeignCredentials(readText(join(source, 'configurations', `config_${name}`)) ?? '');
  // Also in the file, not only in CLOUDSDK_BILLING_QUOTA_PROJECT: a child that clears its
  // environment but keeps CLOUDSDK_CONFIG still bills the account's quota project.
  const text = options.quotaProject ? withProperty(copy.text, 'billing', 'quota_project', options.quotaProject) : copy.text;
  const { dropped } = copy;
  await mkdir(join(dir, 'configurations'), { mode: 0o700 });
  await writeFile(join(dir, 'configurations', `config_${name}`), text, { mode: 0o600 });
  await writeFile(join(dir, 'active_config'), name, { mode: 0o600 });
  // "On GCE", dated far ahead so that gcloud does not ask again (and, with no project, decide
  // otherwise: it probes project/numeric-project-id) while the command runs.
  const gce = join(dir, 'gce');
  await writeFile(gce, 'True', { mode: 0o600 });
  const future = new Date(Date.UTC(2100, 0, 1));
  await utimes(gce, future, future);
  return { dir, dropped, remove: () => rm(dir, { recursive: true, force: true }) };
}
