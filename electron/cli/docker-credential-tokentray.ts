#!/usr/bin/env node
/**
 * docker-credential-tokentray: a docker credential helper (the docker-credential-helpers protocol).
 * `get` reads a registry on stdin and prints `{"ServerURL","Username":"oauth2accesstoken","Secret"}`
 * with a fresh access token of the account configured for it; `list` prints the registries that
 * `tokentray configure-docker` set up; `store` and `erase` are accepted and change nothing, since
 * tokens are minted, not stored. Errors go to stdout (docker shows that) and stderr, exit 1.
 */
import { createCore } from '../core/core.js';
import { isTokenTrayError } from '../core/shared/errors.js';
import { redact } from '../core/shared/logger.js';
import { DOCKER_USERNAME, readRegistryAccounts, registryHost } from '../core/integrations/docker-credential.js';

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.length > 64 * 1024) break; // a server URL or a credentials document, never more
  }
  return text;
}

async function main(action: string | undefined): Promise<number> {
  const env = process.env;
  const core = createCore({ env, ...(env.TOKENTRAY_ACCOUNT ? { fallbackAccount: env.TOKENTRAY_ACCOUNT } : {}) });
  switch (action) {
    case 'get': {
      const serverUrl = (await readStdin()).trim();
      const registry = registryHost(serverUrl);
      const chosen = (await readRegistryAccounts(core.home))[registry]?.account;
      const token = await core.tokens.getAccessToken(await core.accounts.resolve(chosen));
      process.stdout.write(`${JSON.stringify({ ServerURL: serverUrl, Username: DOCKER_USERNAME, Secret: token.token })}\n`);
      return 0;
    }
    case 'list': {
      const registries = await readRegistryAccounts(core.home);
      process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.keys(registries).map((r) => [r, DOCKER_USERNAME])))}\n`);
      return 0;
    }
    case 'store':
    case 'erase':
      await readStdin();
      return 0;
    case 'version':
      process.stdout.write('docker-credential-tokentray (TokenTray) 0.1.0\n');
      return 0;
    default:
      process.stderr.write('usage: docker-credential-tokentray get|list|store|erase (docker runs it; see `tokentray configure-docker`)\n');
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv[2]);
} catch (err) {
  const line = isTokenTrayError(err) ? `tokentray: ${err.code}: ${redact(err.message)}` : `tokentray: INTERNAL: ${redact(err instanceof Error ? err.message : String(err))}`;
  process.stdout.write(`${line.replace(/\s*\n\s*/g, ' ')}\n`);
  process.stderr.write(`${line}\n`);
  process.exitCode = 1;
}
