/**
 * The system clipboard as the app uses it. Electron's `clipboard` fits: since Electron 44 its
 * readText/writeText return Promises (aligned with the W3C Clipboard API); tests pass a stand-in
 * that may answer synchronously.
 */
export interface ClipboardAdapter {
  readText(): string | Promise<string>;
  writeText(text: string): void | Promise<void>;
}

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Puts tokens on the clipboard and, when the user asks for it, clears them again after N seconds,
 * but only if the clipboard still holds what we put there, so it never wipes the user's own copy.
 */
export class ClipboardGuard {
  private pending: unknown;
  private generation = 0;

  constructor(
    private readonly clipboard: ClipboardAdapter,
    private readonly clearAfterSeconds: () => number,
    private readonly timers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
  ) {}

  /** Resolves once the text is on the clipboard; only the latest copy arms a clear-timer. */
  async copy(text: string): Promise<void> {
    const mine = ++this.generation;
    if (this.pending !== undefined) this.timers.clearTimeout(this.pending);
    this.pending = undefined;
    await this.clipboard.writeText(text);
    const seconds = this.clearAfterSeconds();
    if (seconds > 0 && mine === this.generation) {
      this.pending = this.timers.setTimeout(() => {
        this.pending = undefined;
        void this.clearIfStill(text, mine).catch(() => undefined);
      }, seconds * 1000);
    }
  }

  private async clearIfStill(text: string, generation: number): Promise<void> {
    if ((await this.clipboard.readText()) !== text || generation !== this.generation) return;
    await this.clipboard.writeText('');
  }
}
