import { TokenTrayError } from '../../core/shared/errors.js';
import { redact } from '../../core/shared/logger.js';
import { parseFlags, type CliIo } from '../io.js';

const USAGE = 'tokentray kube-credential [--account ACCOUNT] [--impersonate-service-account SA[,DELEGATE…]]';
const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

/** The apiVersion kubectl asks for in KUBERNETES_EXEC_INFO, else v1beta1 (what GKE's plugin speaks). */
function apiVersionOf(execInfo: string | undefined): string {
  if (!execInfo) return 'client.authentication.k8s.io/v1beta1';
  try {
    const asked = (JSON.parse(execInfo) as { apiVersion?: unknown }).apiVersion;
    if (typeof asked === 'string' && API_VERSIONS.includes(asked)) return asked;
  } catch {
    /* not JSON: answer with the default */
  }
  return 'client.authentication.k8s.io/v1beta1';
}

/**
 * A kubectl exec credential plugin: prints an ExecCredential with an access token. kubectl runs it
 * before its requests (it caches the credential until expirationTimestamp), often with no
 * terminal, so it never prompts; a failure is one coded line on stderr and exit 1.
 */
export async function kubeCredential(args: string[], io: CliIo): Promise<number> {
  try {
    const { values } = parseFlags(args, { account: { type: 'string' }, 'impersonate-service-account': { type: 'string' } }, USAGE);
    if (values.help) {
      io.stdout(`usage: ${USAGE}\n`);
      return 0;
    }
    const core = io.core();
    const account = await core.accounts.resolve(values.account);
    let impersonate;
    if (values['impersonate-service-account'] !== undefined) {
      const { parseImpersonationChain } = await import('../../core/google/impersonation.js');
      impersonate = parseImpersonationChain(values['impersonate-service-account']);
    }
    const token = await core.tokens.getAccessToken(account, undefined, impersonate ? { impersonate } : {});
    const credential = {
      apiVersion: apiVersionOf(io.env.KUBERNETES_EXEC_INFO),
      kind: 'ExecCredential',
      status: { token: token.token, expirationTimestamp: new Date(token.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z') },
    };
    io.stdout(`${JSON.stringify(credential)}\n`);
    return 0;
  } catch (err) {
    const code = err instanceof TokenTrayError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`tokentray: ${code}: ${redact(message).replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}
