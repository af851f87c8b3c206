import { childEnvironment } from '../shared/child-env.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ExecEnvironmentOptions {
  /** `127.0.0.1:PORT` of the metadata-server emulator. */
  metadataHost: string;
  /** --env-token: the access token itself, for tools that take it from the environment. */
  accessToken?: string;
  /** A private gcloud configuration folder (CLOUDSDK_CONFIG), see makePrivateGcloudConfig. */
  gcloudConfigDir?: string;
  /** A project TokenTray chose (--project-id or the account's), handed to gcloud and the libraries. */
  project?: string;
  /** The project billed for a user account's API calls (google-auth's and gcloud's variables). */
  quotaProject?: string;
}

/** Variables that would make the command use other credentials than TokenTray's. */
const SHADOWING = [
  ['GOOGLE_APPLICATION_CREDENTIALS', "it would take precedence over TokenTray's metadata server"],
  ['CLOUDSDK_CORE_ACCOUNT', "it would make gcloud use that account's own credentials"],
  ['CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE', 'gcloud would use that file instead'],
  ['CLOUDSDK_AUTH_ACCESS_TOKEN_FILE', 'gcloud would use that file instead'],
  ['CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT', "TokenTray's account has its own impersonation setting"],
  ['CLOUDSDK_AUTH_ACCESS_TOKEN', 'gcloud would use that token instead'],
] as const;

/**
 * The environment of a command run by `tokentray exec`: pointed at the metadata-server emulator
 * (the variables Python, Node, Go and gcloud read), without what would shadow it or TokenTray's secrets.
 */
export function execEnvironment(parent: Env, options: ExecEnvironmentOptions): { env: Record<string, string>; notes: string[] } {
  const env = childEnvironment(parent);
  const notes: string[] = [];
  for (const [name, why] of SHADOWING) {
    if (env[name] === undefined) continue;
    if (name === 'CLOUDSDK_AUTH_ACCESS_TOKEN' && options.accessToken !== undefined) continue; // replaced below
    // Values of the CLOUDSDK_AUTH_* variables are paths or emails, never secrets; still, name only.
    notes.push(
      name === 'GOOGLE_APPLICATION_CREDENTIALS'
        ? `${name} (${env[name]}) was removed for the command: ${why}.`
        : `${name} was removed for the command: ${why}.`,
    );
    delete env[name];
  }
  env.GCE_METADATA_HOST = options.metadataHost;
  env.GCE_METADATA_IP = options.metadataHost;
  env.GCE_METADATA_ROOT = options.metadataHost;
  if (options.gcloudConfigDir !== undefined) {
    env.CLOUDSDK_CONFIG = options.gcloudConfigDir;
    // gcloud logs its requests, access tokens included, under CLOUDSDK_CONFIG/logs: a killed exec
    // would leave them behind until the next sweep. The folder is thrown away anyway.
    env.CLOUDSDK_CORE_DISABLE_FILE_LOGGING = 'True';
  }
  if (options.project !== undefined) {
    env.CLOUDSDK_CORE_PROJECT = options.project;
    env.GOOGLE_CLOUD_PROJECT = options.project;
  }
  if (options.quotaProject !== undefined) {
    env.GOOGLE_CLOUD_QUOTA_PROJECT = options.quotaProject;
    env.CLOUDSDK_BILLING_QUOTA_PROJECT = options.quotaProject;
  }
  if (options.accessToken !== undefined) {
    env.CLOUDSDK_AUTH_ACCESS_TOKEN = options.accessToken;
    env.GOOGLE_OAUTH_ACCESS_TOKEN = options.accessToken;
  }
  return { env, notes };
}
