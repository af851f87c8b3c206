import { spawn } from 'node:child_process';
import { childEnvironment } from '../core/shared/child-env.js';

export type OpenBrowserResult = { opened: true } | { opened: false; reason: string };

type Env = Readonly<Record<string, string | undefined>>;

/** An opener that has not exited by then is taken as not known to have worked. */
const OPENER_WAIT_MS = 10_000;

/**
 * Why no local browser can be shown, or undefined when it is worth trying: over SSH the browser
 * that would open is the remote machine's (if any), and on Linux without a display there is none.
 */
function noLocalBrowserReason(env: Env, platform: NodeJS.Platform): string | undefined {
  if (env.SSH_CONNECTION) return 'this is an SSH session';
  if (platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no graphical display (DISPLAY or WAYLAND_DISPLAY) is set';
  return undefined;
}

/**
 * Opens a URL in the user's default browser and says whether that really worked: it waits for the
 * opener's exit status (`xdg-open` exits non-zero when it finds no browser). Give it only a URL
 * that may be public: any local user can read an opener's arguments.
 */
export function openBrowser(url: string, options: { env?: Env; platform?: NodeJS.Platform } = {}): Promise<OpenBrowserResult> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const reason = noLocalBrowserReason(env, platform);
  if (reason) return Promise.resolve({ opened: false, reason });
  const [cmd, args] = platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (result: OpenBrowserResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    try {
      // Detached: a Ctrl-C meant for tokentray must not reach a browser the opener started.
      const child = spawn(cmd, args, { stdio: 'ignore', detached: true, env: childEnvironment(env) });
      child.once('error', (err) => settle({ opened: false, reason: `${cmd} could not be started (${(err as NodeJS.ErrnoException).code ?? err.message})` }));
      child.once('exit', (code, sig) => settle(code === 0 ? { opened: true } : { opened: false, reason: `${cmd} failed (${sig ?? `exit status ${code}`})` }));
      timer = setTimeout(() => {
        child.unref();
        settle({ opened: false, reason: `${cmd} did not finish within ${OPENER_WAIT_MS / 1000} seconds` });
      }, OPENER_WAIT_MS);
      timer.unref();
    } catch (err) {
      settle({ opened: false, reason: `${cmd} could not be started (${(err as Error).message})` });
    }
  });
}
