type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment of a command run by `tokentray exec`: pointed at the metadata-server emulator
 * (the variables Python, Node, Go and gcloud read), without what would shadow it.
 */
export function execEnvironment(parent: Env, metadataHost: string, accessToken?: string): { env: Record<string, string>; notes: string[] } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  const notes: string[] = [];
  if (env.GOOGLE_APPLICATION_CREDENTIALS !== undefined) {
    notes.push(`GOOGLE_APPLICATION_CREDENTIALS (${env.GOOGLE_APPLICATION_CREDENTIALS}) was removed for the command: it would take precedence over TokenTray's metadata server.`);
    delete env.GOOGLE_APPLICATION_CREDENTIALS;
  }
  env.GCE_METADATA_HOST = metadataHost;
  env.GCE_METADATA_IP = metadataHost;
  env.GCE_METADATA_ROOT = metadataHost;
  if (accessToken !== undefined) {
    env.CLOUDSDK_AUTH_ACCESS_TOKEN = accessToken;
    env.GOOGLE_OAUTH_ACCESS_TOKEN = accessToken;
  }
  return { env, notes };
}
