import { addDockerCredHelpers, DEFAULT_REGISTRIES, HELPER_NAME, registryHost, rememberRegistryAccounts } from '../../core/integrations/docker-credential.js';
import { displayName } from '../../core/storage/account-service.js';
import { parseFlags, wantsHelp, type CliIo } from '../io.js';

const USAGE = 'tokentray configure-docker [--account ACCOUNT] [REGISTRY…]   (default: gcr.io us.gcr.io eu.gcr.io asia.gcr.io; Artifact Registry: LOCATION-docker.pkg.dev)';

/**
 * Points docker at docker-credential-tokentray for the registries (`credHelpers` in
 * $DOCKER_CONFIG/config.json) and remembers the account for each of them.
 */
export async function configureDocker(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { account: { type: 'string' } }, USAGE, 100);
  if (wantsHelp(values, USAGE, io)) return 0;
  const registries = [...new Set((positionals.length ? positionals : DEFAULT_REGISTRIES).map(registryHost))];
  const core = io.core();
  // Fails now if the account does not exist; remembered only when named (else: the default, at each pull).
  const named = values.account || io.env.TOKENTRAY_ACCOUNT;
  const account = await core.accounts.resolve(named);
  const { path, replaced } = await addDockerCredHelpers(io.env, registries);
  await rememberRegistryAccounts(core.home, registries, named ? account.id : undefined);
  for (const [registry, helper] of Object.entries(replaced)) io.stderr(`tokentray: ${registry} used docker-credential-${helper} until now.\n`);
  io.stderr(`Docker now asks docker-credential-${HELPER_NAME} for ${registries.join(', ')} (${path}), with tokens of ${named ? displayName(account) : 'the default account'}. docker-credential-${HELPER_NAME} must be on PATH.\n`);
  io.stdout(`${registries.join('\n')}\n`);
  return 0;
}
