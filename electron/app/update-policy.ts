/**
 * When the app looks for an update, what it does with one, and what the tray and the window say
 * about it. The updater (electron-updater in the app, see updater-port.ts) sits behind `Updater`;
 * electron-updater verifies the feed and the download's sha512, this policy decides and words.
 * It never restarts the app on its own: only `restart()` (the user's click) installs.
 */

/** The little the policy needs from an updater. */
export interface Updater {
  readonly currentVersion: string;
  /**
   * Asks the feed for its newest version; null when this build has no feed (not a release build).
   * `newer`/`older` compare it with the running version (semver, the updater's own comparison).
   */
  check(): Promise<{ version: string; newer: boolean; older: boolean } | null>;
  /** Downloads the newest version and verifies its checksum; rejects on a mismatch. */
  download(): Promise<void>;
  /** Quits, installs the downloaded version and starts it. */
  restartToInstall(): void;
}

export type UpdateState =
  | { kind: 'off' }
  | { kind: 'idle' }
  | { kind: 'checking' }
  | { kind: 'up-to-date'; version: string }
  | { kind: 'downloading'; version: string }
  | { kind: 'ready'; version: string }
  | { kind: 'refused'; version: string; reason: 'downgrade' | 'damaged' }
  | { kind: 'failed'; message: string };

export const UPDATE_CHECK_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** electron-updater's codes for a download that is not what the feed promised. */
const DAMAGED_CODES = new Set([
  'ERR_CHECKSUM_MISMATCH',
  'ERR_UPDATER_INVALID_SIGNATURE',
  'ERR_UPDATER_INVALID_RELEASE_FEED',
  'ERR_UPDATER_INVALID_UPDATE_INFO',
]);

export interface UpdatePolicyOptions {
  updater: Updater;
  enabled: boolean;
  onChange?: (state: UpdateState) => void;
  log?: (line: string) => void;
  /** Repeats `run` every `ms`; returns a stop function (setInterval, unref'd, in the app). */
  every?: (ms: number, run: () => void) => () => void;
}

const everyInterval = (ms: number, run: () => void): (() => void) => {
  const timer = setInterval(run, ms);
  (timer as { unref?: () => void }).unref?.(); // a daily timer must not keep a quitting app alive
  return () => clearInterval(timer);
};

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export class UpdatePolicy {
  private current: UpdateState;
  private stopTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private readonly every: (ms: number, run: () => void) => () => void;

  constructor(private readonly options: UpdatePolicyOptions) {
    this.current = options.enabled ? { kind: 'idle' } : { kind: 'off' };
    this.every = options.every ?? everyInterval;
  }

  get state(): UpdateState {
    return { ...this.current };
  }

  /** Checks now and once a day while updates are on. */
  start(): Promise<void> {
    if (!this.options.enabled) return Promise.resolve();
    this.stopTimer ??= this.every(UPDATE_CHECK_INTERVAL_MS, () => void this.check());
    return this.check();
  }

  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** The setting: off stops the daily check (a downloaded update stays on offer); on checks now. */
  setEnabled(enabled: boolean): Promise<void> {
    if (enabled === this.options.enabled) return Promise.resolve();
    this.options.enabled = enabled;
    if (enabled) {
      if (this.current.kind === 'off') this.set({ kind: 'idle' });
      return this.start();
    }
    this.stop();
    if (this.current.kind !== 'ready') this.set({ kind: 'off' });
    return Promise.resolve();
  }

  /** One check-and-download round; a round asked for while one runs joins it. */
  check(): Promise<void> {
    if (!this.options.enabled || this.current.kind === 'ready') return Promise.resolve();
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The user's "Restart to update": only with a verified download waiting. */
  restart(): boolean {
    if (this.current.kind !== 'ready') return false;
    this.options.updater.restartToInstall();
    return true;
  }

  private async round(): Promise<void> {
    const { updater } = this.options;
    this.set({ kind: 'checking' });
    let found: Awaited<ReturnType<Updater['check']>>;
    try {
      found = await updater.check();
    } catch (err) {
      return this.fail(err, 'Could not check for updates');
    }
    if (!found) return this.set({ kind: 'off' });
    if (found.older) {
      this.options.log?.(`update refused: the feed offers ${found.version}, older than ${updater.currentVersion}`);
      return this.set({ kind: 'refused', version: found.version, reason: 'downgrade' });
    }
    if (!found.newer) return this.set({ kind: 'up-to-date', version: updater.currentVersion });
    this.set({ kind: 'downloading', version: found.version });
    try {
      await updater.download();
    } catch (err) {
      const code = errorCode(err);
      if (code && DAMAGED_CODES.has(code)) {
        this.options.log?.(`update refused: the download of ${found.version} failed verification (${code})`);
        return this.set({ kind: 'refused', version: found.version, reason: 'damaged' });
      }
      return this.fail(err, `Could not download ${found.version}`);
    }
    this.set({ kind: 'ready', version: found.version });
  }

  private fail(err: unknown, what: string): void {
    const code = errorCode(err);
    this.options.log?.(`${what}${code ? ` (${code})` : ''}`);
    this.set({ kind: 'failed', message: `${what}; TokenTray tries again tomorrow.` });
  }

  private set(state: UpdateState): void {
    this.current = state;
    this.options.onChange?.(this.state);
  }
}

/** What the window shows for a state: a line and, when there is one, the button's label. */
export function describeUpdate(state: UpdateState): { text: string; action?: string } | undefined {
  switch (state.kind) {
    case 'ready':
      return { text: `TokenTray ${state.version} is downloaded and verified.`, action: `Restart to update to v${state.version}` };
    case 'downloading':
      return { text: `Downloading TokenTray ${state.version}…` };
    case 'refused':
      return state.reason === 'downgrade'
        ? { text: `Update refused: the update feed offers ${state.version}, older than this version.` }
        : { text: `Update to ${state.version} refused: the download did not match its checksum.` };
    case 'failed':
      return { text: state.message };
    default:
      return undefined;
  }
}
