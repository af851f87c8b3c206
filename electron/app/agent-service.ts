import { serveAgent, type RunningAgent } from '../core/agent/agent.js';
import type { Core } from '../core/core.js';
import { isTokenTrayError } from '../core/shared/errors.js';
import { redact } from '../core/shared/logger.js';
import { chooseKeychain } from '../core/storage/keychain-choice.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * While the desktop app runs it serves the agent's socket with its own core, so the CLI, kubectl
 * and docker get agent speed without `tokentray agent start`. An agent already running keeps the
 * socket (the app then serves nothing); any other failure is logged and changes nothing else.
 */
export async function serveAgentFromApp(core: Core, env: Env, log: (line: string) => void): Promise<RunningAgent | undefined> {
  try {
    const store = await chooseKeychain(env, core.home);
    return await serveAgent({ core, env, store, servedBy: 'app' });
  } catch (err) {
    if (isTokenTrayError(err, 'AGENT_RUNNING')) log('an agent already serves its socket; the app leaves it to it');
    else log(`the agent socket is not served: ${redact(err instanceof Error ? err.message : String(err))}`);
    return undefined;
  }
}
