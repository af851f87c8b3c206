import type { TokenDetails } from '../core/shared/models.js';

/** kubectl's ExecCredential, shared by `kube-credential` and its fast path through the agent. */
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

/** The line kubectl reads: the token, and its expiry to the second. */
export function execCredentialLine(token: TokenDetails, execInfo: string | undefined): string {
  const credential = {
    apiVersion: apiVersionOf(execInfo),
    kind: 'ExecCredential',
    status: { token: token.token, expirationTimestamp: new Date(token.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z') },
  };
  return `${JSON.stringify(credential)}\n`;
}
