import { addDockerCredHelpers, DEFAULT_REGISTRIES, HELPER_NAME, registryHost, rememberRegistryAccounts } from '../../core/integrations/docker-credential.js';
import { displayName } from '../../core/storage/account-service.js';
import { defineCommand, parseCommand, type CommandHelp } from '../io.js';

export const CONFIGURE_DOCKER_HELP = {
  name: 'configure-docker',
  group: 'Integrations',
  summary: 'Make docker get Container Registry and Artifact Registry credentials from TokenTray',
  usage: '[--account ACCOUNT] [REGISTRY…]',
  description:
    `Adds "credHelpers" entries for the registries to docker's config.json ($DOCKER_CONFIG, else ~/.docker), so docker asks ` +
    `docker-credential-${HELPER_NAME} (installed with tokentray; it must be on PATH) for a fresh access token at each pull and push. ` +
    'Other entries are kept; a registry that used another helper (gcloud) is switched over, with a note. Prints the registries set up.',
  args: [
    {
      name: 'REGISTRY…',
      optional: true,
      repeated: true,
      help: `Registry host names; Artifact Registry's are LOCATION-docker.pkg.dev. Without them: ${DEFAULT_REGISTRIES.join(' ')}`,
    },
  ],
  options: {
    account: {
      type: 'string',
      value: 'ACCOUNT',
      default: '$TOKENTRAY_ACCOUNT, else the default account at each pull',
      help: 'Email or id of the account whose tokens docker gets for these registries (remembered per registry)',
    },
  },
  examples: [
    { command: 'tokentray configure-docker europe-west1-docker.pkg.dev us-docker.pkg.dev' },
    { command: 'tokentray configure-docker --account ci-bot@my-project.iam.gserviceaccount.com gcr.io' },
    { command: 'docker pull europe-west1-docker.pkg.dev/my-project/my-repo/app:latest', help: 'Then docker just works' },
  ],
} satisfies CommandHelp;

/**
 * Points docker at docker-credential-tokentray for the registries (`credHelpers` in
 * $DOCKER_CONFIG/config.json) and remembers the account for each of them.
 */
export const configureDocker = defineCommand(CONFIGURE_DOCKER_HELP, async (args, io) => {
  const parsed = parseCommand(CONFIGURE_DOCKER_HELP, args, io);
  if (!parsed) return 0;
  const { values, positionals } = parsed;
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
});
