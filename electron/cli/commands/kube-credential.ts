import { describeFailure, EXIT } from '../failure.js';
import { defineCommand, parseCommand, type CommandHelp } from '../io.js';
import { execCredentialLine } from '../exec-credential.js';

const KUBE_CREDENTIAL_HELP = {
  name: 'kube-credential',
  group: 'Integrations',
  summary: 'Print a kubectl exec credential (ExecCredential JSON) with an access token, for GKE clusters',
  usage: '[--account ACCOUNT] [--impersonate-service-account SA[,DELEGATE…]]',
  description:
    "kubectl runs it in place of gke-gcloud-auth-plugin: set the user's exec command in your kubeconfig to tokentray with the arguments " +
    'kube-credential (and --account …). It answers in the apiVersion kubectl asks for (v1 or v1beta1) and never prompts; a failure is one ' +
    '"tokentray: CODE: message" line on stderr and exit 1, which kubectl shows.',
  options: {
    account: { type: 'string', value: 'ACCOUNT', default: '$TOKENTRAY_ACCOUNT, else the default account', help: 'Email or id of the account' },
    'impersonate-service-account': {
      type: 'string',
      value: 'SA[,DELEGATE…]',
      default: 'none',
      help: 'Give the token of this service account (then any delegates in the chain, comma-separated) instead',
    },
  },
  examples: [
    {
      command:
        'kubectl config set-credentials tokentray --exec-api-version=client.authentication.k8s.io/v1beta1 --exec-command=tokentray --exec-arg=kube-credential',
      help: 'Once: a kubeconfig user that asks tokentray (then: kubectl config set-context --current --user=tokentray)',
    },
    { command: 'tokentray kube-credential --account work@example.com | jq .status.expirationTimestamp', help: 'What kubectl gets' },
  ],
} satisfies CommandHelp;
/**
 * A kubectl exec credential plugin: prints an ExecCredential with an access token. kubectl runs it
 * before its requests (it caches the credential until expirationTimestamp), often with no
 * terminal, so it never prompts; a failure is one coded line on stderr and exit 1.
 */
export const kubeCredential = defineCommand(KUBE_CREDENTIAL_HELP, async (args, io) => {
  try {
    const parsed = parseCommand(KUBE_CREDENTIAL_HELP, args, io);
    if (!parsed) return 0;
    const { values } = parsed;
    const core = io.core();
    const account = await core.accounts.resolve(values.account);
    let impersonate;
    if (values['impersonate-service-account'] !== undefined) {
      const { parseImpersonationChain } = await import('../../core/google/impersonation.js');
      impersonate = parseImpersonationChain(values['impersonate-service-account']);
    }
    const token = await core.tokens.getAccessToken(account, undefined, impersonate ? { impersonate } : {});
    io.stdout(execCredentialLine(token, io.env.KUBERNETES_EXEC_INFO));
    return 0;
  } catch (err) {
    // kubectl shows one line; a usage error too ends with 1 here, as kubectl expects of a plugin.
    io.stderr(describeFailure(err, { oneLine: true }));
    return EXIT.failure;
  }
});
