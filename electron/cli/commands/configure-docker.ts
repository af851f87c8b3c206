import {
  addDockerCredHelpers,
  checkRegistryHosts,
  DEFAULT_REGISTRIES,
  forgetRegistryAccounts,
  HELPER_NAME,
  registryHost,
  rememberRegistryAccounts,
  removeDockerCredHelpers,
} from '../../core/integrations/docker-credential.js';
import { displayName } from '../../core/accounts/account-service.js';
import { defineCommand, parseCommand, usageError, type CommandHelp, type CliIo } from '../io.js';

const CONFIGURE_DOCKER_HELP = {
  name: 'configure-docker',
  group: 'Integrations',
  summary: 'Make docker get Container Registry and Artifact Registry credentials from TokenTray',
  usage: '[--account ACCOUNT] [--allow-other-host] [REGISTRY…] | --remove REGISTRY…',
  description:
    `Adds "credHelpers" entries for the registries to docker's config.json ($DOCKER_CONFIG, else ~/.docker), so docker asks ` +
    `docker-credential-${HELPER_NAME} (installed with tokentray; it must be on PATH) for a fresh access token at each pull and push. ` +
    'Other entries are kept; a registry that used another helper (gcloud) is switched over, with a note. Prints the registries set up. ' +
    "Only Google's registries are accepted (gcr.io, *.gcr.io, LOCATION-docker.pkg.dev, docker.LOCATION.rep.pkg.dev, as gcloud lists them); " +
    `docker-credential-${HELPER_NAME} answers only for the registries set up here, and "credentials not found" for any other.`,
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
    'allow-other-host': {
      type: 'boolean',
      help: "Accept registries that are not Google's (they receive a Google access token: only for a registry you trust with it)",
    },
    remove: { type: 'boolean', help: 'Undo it for the registries named: remove their entries (only those pointing at TokenTray) and forget them' },
  },
  examples: [
    { command: 'tokentray configure-docker europe-west1-docker.pkg.dev us-docker.pkg.dev' },
    { command: 'tokentray configure-docker --account ci-bot@my-project.iam.gserviceaccount.com gcr.io' },
    { command: 'docker pull europe-west1-docker.pkg.dev/my-project/my-repo/app:latest', help: 'Then docker just works' },
    { command: 'tokentray configure-docker --remove us-docker.pkg.dev', help: 'Undo it for one registry' },
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
  if (values.remove) return removeRegistries(positionals, io);
  const registries = [...new Set((positionals.length ? positionals : DEFAULT_REGISTRIES).map(registryHost))];
  const others = checkRegistryHosts(registries, values['allow-other-host'] === true);
  const core = io.core();
  // Fails now if the account does not exist; remembered only when named (else: the default, at each pull).
  const named = values.account || io.env.TOKENTRAY_ACCOUNT;
  const account = await core.accounts.resolve(named);
  const { path, replaced } = await addDockerCredHelpers(io.env, registries);
  await rememberRegistryAccounts(core.home, registries, named ? { id: account.id, ...(account.email ? { email: account.email } : {}) } : undefined);
  if (others.length > 0)
    io.stderr(
      `tokentray: warning: ${others.join(', ')} ${others.length === 1 ? 'is not a Google registry; it' : 'are not Google registries; they'} will receive a Google access token at each pull and push.\n`,
    );
  for (const [registry, helper] of Object.entries(replaced)) io.stderr(`tokentray: ${registry} used docker-credential-${helper} until now.\n`);
  io.stderr(
    `Docker now asks docker-credential-${HELPER_NAME} for ${registries.join(', ')} (${path}), with tokens of ${named ? displayName(account) : 'the default account'}. docker-credential-${HELPER_NAME} must be on PATH.\n`,
  );
  io.stdout(`${registries.join('\n')}\n`);
  return 0;
});

/** `--remove`: docker stops asking TokenTray for these registries, and TokenTray forgets them. */
async function removeRegistries(positionals: readonly string[], io: CliIo): Promise<number> {
  if (positionals.length === 0) throw usageError(CONFIGURE_DOCKER_HELP, 'name the registries to remove');
  const registries = [...new Set(positionals.map(registryHost))];
  const { path, removed } = await removeDockerCredHelpers(io.env, registries);
  const forgotten = await forgetRegistryAccounts(io.core().home, registries);
  const done = registries.filter((r) => removed.includes(r) || forgotten.includes(r));
  const unknown = registries.filter((r) => !done.includes(r));
  if (unknown.length > 0) io.stderr(`tokentray: ${unknown.join(', ')} ${unknown.length === 1 ? 'was' : 'were'} not set up for TokenTray; nothing to remove.\n`);
  if (done.length > 0) io.stderr(`Docker no longer asks docker-credential-${HELPER_NAME} for ${done.join(', ')} (${path}).\n`);
  io.stdout(done.length ? `${done.join('\n')}\n` : '');
  return 0;
}
