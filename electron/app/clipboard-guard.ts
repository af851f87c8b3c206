/** The system clipboard as the app uses it; Electron's `clipboard` fits, tests pass a stand-in. */
export interface ClipboardAdapter {
  readText(): string;
  writeText(text: string): void;
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

  constructor(
    private readonly clipboard: ClipboardAdapter,
    private readonly clearAfterSeconds: () => number,
    private readonly timers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
  ) {}

  copy(text: string): void {
    this.clipboard.writeText(text);
    if (this.pending !== undefined) this.timers.clearTimeout(this.pending);
    this.pending = undefined;
    const seconds = this.clearAfterSeconds();
    if (seconds > 0) {
      this.pending = this.timers.setTimeout(() => {
        this.pending = undefined;
        if (this.clipboard.readText() === text) this.clipboard.writeText('');
      }, seconds * 1000);
    }
  }
}
