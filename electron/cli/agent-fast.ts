import { askAgent, type Question } from '../core/agent/client.js';
import { agentFailure, isPrintableToken } from '../core/agent/protocol.js';
import { execCredentialLine } from './exec-credential.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The fast path of the token commands: before the CLI proper (and openid-client, keytar, jose) is
 * loaded, the running agent is asked. Only plain invocations are answered here, in exactly the
 * forms the full parser accepts; anything else (help, --verbose, an unknown or repeated flag, a
 * value it would refuse) goes to the CLI, which also asks the agent and says what is wrong.
 */
interface FastCommand {
  op: Question['op'];
  /** Flags taking a value, and the request field each fills. */
  values: Record<string, 'account' | 'scopes' | 'impersonate' | 'audience'>;
  flags: Record<string, 'includeEmail'>;
  print(token: { token: string; expiresAt: number }, env: Env): string;
}

const printToken = (token: { token: string }) => `${token.token}\n`;
const COMMANDS: Record<string, FastCommand> = {
  'print-access-token': {
    op: 'access-token',
    values: { account: 'account', scopes: 'scopes', 'impersonate-service-account': 'impersonate' },
    flags: {},
    print: printToken,
  },
  'print-identity-token': {
    op: 'id-token',
    values: { account: 'account', audiences: 'audience', 'impersonate-service-account': 'impersonate' },
    flags: { 'include-email': 'includeEmail' },
    print: printToken,
  },
  'kube-credential': {
    op: 'access-token',
    values: { account: 'account', 'impersonate-service-account': 'impersonate' },
    flags: {},
    print: (token, env) => execCredentialLine(token, env.KUBERNETES_EXEC_INFO),
  },
};

/** The agent request for `argv`, or undefined when the CLI should handle it. */
function fastQuestion(argv: readonly string[], env: Env): { question: Question; command: FastCommand } | undefined {
  const command = COMMANDS[argv[0] ?? ''];
  if (!command || env.TOKENTRAY_VERBOSE === '1') return undefined;
  const question: Question = { op: command.op };
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z-]+)(?:=([\s\S]*))?$/.exec(arg);
    if (!m || seen.has(m[1])) return undefined;
    const name = m[1];
    seen.add(name);
    const field = command.values[name];
    if (field) {
      const value = m[2] ?? argv[++i];
      // Empty, or what the parser would read as another flag: the CLI words the error.
      if (value === undefined || value.trim() === '' || (m[2] === undefined && value.startsWith('-'))) return undefined;
      question[field] = field === 'audience' ? value.trim() : value;
    } else if (command.flags[name] && m[2] === undefined) {
      question[command.flags[name]] = true;
    } else return undefined;
  }
  if (question.account === undefined && env.TOKENTRAY_ACCOUNT) question.account = env.TOKENTRAY_ACCOUNT;
  return { question, command };
}

/**
 * What to print, from the agent; `askAgain` says whether the CLI proper should ask the agent (its
 * token service does, agent-first-tokens.ts). Not when this path found none, or an answer not to
 * be used: the CLI then goes the normal way without loading the client again. Yes for what this
 * path does not answer, and for a failure the agent answered: the CLI proper asks again and throws
 * it, so that the error is worded, coded and exits exactly as on the normal path. Never throws.
 */
export async function answerFromAgent(argv: readonly string[], env: Env): Promise<{ text?: string; askAgain: boolean }> {
  try {
    const fast = fastQuestion(argv, env);
    if (!fast) return { askAgain: true };
    const answer = await askAgent(env, fast.question);
    if (answer === undefined) return { askAgain: false };
    if (agentFailure(answer)) return { askAgain: true };
    if (!answer.ok || !('token' in answer) || !isPrintableToken(answer.token) || !Number.isFinite(answer.expiresAt)) return { askAgain: false };
    return { text: fast.command.print({ token: answer.token, expiresAt: answer.expiresAt }, env), askAgain: false };
  } catch {
    return { askAgain: true };
  }
}
