import type { ImpersonationChain } from '../google/impersonation.js';
import type { AccountRecord } from '../accounts/account-registry.js';
import { TokenTrayError, type ErrorCode, type ErrorFacts } from '../shared/errors.js';
import { TokenService, type IdTokenOptions } from '../tokens/token-service.js';
import type { Question } from './client.js';

type Env = Readonly<Record<string, string | undefined>>;

type Issued = Awaited<ReturnType<TokenService['getAccessToken']>>;

const chainText = (chain: ImpersonationChain) => [chain.target, ...chain.delegates].join(',');

/**
 * The CLI's token service: asks a running agent first and, when there is none (or it is locked,
 * refuses, or speaks another version), mints the token itself exactly as before. So `exec`,
 * `curl` and the metadata server they start get tokens without unlocking the store themselves.
 * A failure the agent answers (REAUTH_REQUIRED, say) is thrown as this process would throw it, so
 * that every surface shows it as its own; see protocol.ts' agentFailure for those it goes on after.
 * Never used by the agent or the app that serve the socket: they would ask themselves. The client
 * is loaded on the first question: a CLI told that no agent runs never loads it.
 */
export class AgentFirstTokenService extends TokenService {
  constructor(
    accounts: ConstructorParameters<typeof TokenService>[0],
    private readonly agentEnv: Env,
    options: ConstructorParameters<typeof TokenService>[1] = {},
  ) {
    super(accounts, options);
  }

  private async fromAgent(question: Question): Promise<Issued | undefined> {
    const [{ askAgent }, { agentFailure, isPrintableToken }] = await Promise.all([import('./client.js'), import('./protocol.js')]);
    const answer = await askAgent(this.agentEnv, question);
    if (answer === undefined) return undefined;
    const failure = agentFailure(answer);
    if (failure) throw new TokenTrayError(failure.code as ErrorCode, failure.message, { facts: failure.facts as ErrorFacts });
    if (!answer.ok || !('token' in answer) || !isPrintableToken(answer.token) || !Number.isFinite(answer.expiresAt)) return undefined;
    return { token: answer.token, expiresAt: answer.expiresAt };
  }

  override async getAccessToken(account: AccountRecord, scopes?: readonly string[], options: { impersonate?: ImpersonationChain } = {}): Promise<Issued> {
    const question: Question = {
      op: 'access-token',
      account: account.id,
      ...(scopes && scopes.length > 0 ? { scopes: scopes.join(',') } : {}),
      ...(options.impersonate ? { impersonate: chainText(options.impersonate) } : {}),
    };
    return (await this.fromAgent(question)) ?? super.getAccessToken(account, scopes, options);
  }

  override async getIdToken(account: AccountRecord, options: IdTokenOptions = {}): Promise<Issued> {
    const question: Question = {
      op: 'id-token',
      account: account.id,
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      ...(options.includeEmail ? { includeEmail: true } : {}),
      ...(options.impersonate ? { impersonate: chainText(options.impersonate) } : {}),
    };
    return (await this.fromAgent(question)) ?? super.getIdToken(account, options);
  }
}
