import { channel } from 'node:diagnostics_channel';
import { isTokenTrayError } from '../core/shared/errors.js';
import { redact } from '../core/shared/logger.js';

/**
 * A round has settled (logged and told, if at all): `{ failing }`, the failure that stops refresh or
 * undefined. For tests and diagnostics: "a minute passed and nothing was logged" needs to know the
 * minute's round is over. Costs nothing without a subscriber.
 */
export const ROUND_SETTLED_CHANNEL = 'tokentray:background-refresh:round-settled';
const roundSettled = channel(ROUND_SETTLED_CHANNEL);

/**
 * The app's periodic token warm-up (every minute). A round that fails as a whole, typically because
 * accounts.json became unreadable, must not become an unhandled rejection every minute: the failure
 * is logged once (again only if it changes), the tray and window are told once so they can show
 * it, and the recovery is logged and told too. Nothing here writes the registry.
 */
export class BackgroundRefresh {
  private failure: string | undefined;

  constructor(
    private readonly warmer: { round(): Promise<boolean> },
    private readonly log: (line: string) => void,
    /** Accounts or their state changed: rebuild the tray, tell the window. */
    private readonly onChange: () => void,
  ) {}

  /** Never rejects. */
  async tick(): Promise<void> {
    await this.round();
    if (roundSettled.hasSubscribers) roundSettled.publish({ failing: this.failure });
  }

  private async round(): Promise<void> {
    try {
      const changed = await this.warmer.round();
      if (this.failure !== undefined) {
        this.failure = undefined;
        this.log('background token refresh works again');
        this.onChange();
      } else if (changed) {
        this.onChange();
      }
    } catch (err) {
      const text = isTokenTrayError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
      if (text === this.failure) return;
      const first = this.failure === undefined;
      this.failure = text;
      this.log(`background token refresh stopped: ${redact(text)}`);
      if (first) this.onChange();
    }
  }

  /** The failure that stops background refresh, if any (for tests and diagnostics). */
  get failing(): string | undefined {
    return this.failure;
  }
}
