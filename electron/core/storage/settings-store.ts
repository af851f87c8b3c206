import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';
import { readBoundedFile } from './read-user-file.js';
import { TokenTrayError } from '../shared/errors.js';
import type { Settings } from '../shared/models.js';

// A copied token leaves the clipboard after 45 s unless the user says otherwise, as password managers do.
export const DEFAULT_SETTINGS: Readonly<Settings> = { clipboardClearSeconds: 45, globalShortcut: '', checkForUpdates: true, startAtLogin: false };

const MODIFIER = '(?:CommandOrControl|CmdOrCtrl|Command|Cmd|Control|Ctrl|Alt|Option|AltGr|Shift|Super|Meta)';
const KEY =
  "(?:[A-Z0-9]|F(?:[1-9]|1[0-9]|2[0-4])|Space|Tab|Backspace|Delete|Insert|Return|Enter|Up|Down|Left|Right|Home|End|PageUp|PageDown|Escape|Esc|Plus|[-=\\[\\];',./`\\\\])";
const ACCELERATOR = new RegExp(`^(?:${MODIFIER}\\+)+${KEY}$`, 'i');

/** Checks a partial settings object from the window; unknown keys and wrong types are refused. */
export function validateSettings(input: unknown): Partial<Settings> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new TokenTrayError('SETTINGS_INVALID', 'Settings must be an object.');
  const out: Partial<Settings> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'clipboardClearSeconds') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 3600) {
        throw new TokenTrayError('SETTINGS_INVALID', 'Clipboard auto-clear takes whole seconds from 0 (never) to 3600.');
      }
      out.clipboardClearSeconds = value;
    } else if (key === 'globalShortcut') {
      if (typeof value !== 'string' || (value !== '' && !ACCELERATOR.test(value))) {
        throw new TokenTrayError(
          'SETTINGS_INVALID',
          `"${String(value).slice(0, 40)}" is not a shortcut. Use modifiers and one key, e.g. CommandOrControl+Shift+T, or leave it empty.`,
        );
      }
      out.globalShortcut = value;
    } else if (key === 'checkForUpdates' || key === 'startAtLogin') {
      if (typeof value !== 'boolean') throw new TokenTrayError('SETTINGS_INVALID', `${key} is on (true) or off (false).`);
      out[key] = value;
    } else {
      throw new TokenTrayError('SETTINGS_INVALID', `Unknown setting "${key.slice(0, 40)}".`);
    }
  }
  return out;
}

/** App settings (no secrets) in settings.json beside the account registry. */
export class SettingsStore {
  readonly path: string;
  private current: Settings = { ...DEFAULT_SETTINGS };
  /** A damaged file is moved aside (not overwritten) on the next save. */
  private damaged = false;

  constructor(home: string) {
    this.path = join(home, 'settings.json');
  }

  /** A missing or damaged file gives the defaults: settings are a convenience, not data. */
  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await readBoundedFile(this.path);
    } catch {
      this.current = { ...DEFAULT_SETTINGS };
      return this.get();
    }
    try {
      this.current = { ...DEFAULT_SETTINGS, ...validateSettings(JSON.parse(text)) };
    } catch {
      this.current = { ...DEFAULT_SETTINGS };
      this.damaged = true;
    }
    return this.get();
  }

  get(): Settings {
    return { ...this.current };
  }

  async update(patch: unknown): Promise<Settings> {
    const next = { ...this.current, ...validateSettings(patch) };
    if (this.damaged) {
      await rename(this.path, `${this.path}.damaged`).catch(() => undefined);
      this.damaged = false;
    }
    await writeFileAtomic(this.path, JSON.stringify(next, null, 2) + '\n');
    this.current = next;
    return this.get();
  }
}
