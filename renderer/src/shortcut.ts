/**
 * The global shortcut is recorded by pressing it: a key event becomes Electron's accelerator text
 * (https://www.electronjs.org/docs/latest/api/accelerator), which settings-store.ts validates.
 */
const NAMED: Record<string, string> = {
  Space: 'Space',
  Tab: 'Tab',
  Backspace: 'Backspace',
  Delete: 'Delete',
  Insert: 'Insert',
  Enter: 'Return',
  NumpadEnter: 'Return',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  Home: 'Home',
  End: 'End',
  PageUp: 'PageUp',
  PageDown: 'PageDown',
  Minus: '-',
  Equal: '=',
  BracketLeft: '[',
  BracketRight: ']',
  Semicolon: ';',
  Quote: "'",
  Comma: ',',
  Period: '.',
  Slash: '/',
  Backquote: '`',
  Backslash: '\\',
};

export interface KeyPress {
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** The key's accelerator name from its physical position (`code`), so a layout or Shift does not change it. */
function keyName(code: string): string | undefined {
  const letter = /^Key([A-Z])$/.exec(code)?.[1];
  if (letter) return letter;
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(code)?.[1];
  if (digit) return digit;
  if (/^F([1-9]|1[0-9]|2[0-4])$/.test(code)) return code;
  return NAMED[code];
}

/**
 * The accelerator for a key press, or what is missing: `{ partial }` while only modifiers are
 * down, `{ needsModifier }` for a plain key (a global shortcut without one would take the key from
 * every app).
 */
export function acceleratorOf(press: KeyPress, mac: boolean): { accelerator: string } | { partial: true } | { needsModifier: true } {
  const modifiers = [
    (mac ? press.metaKey : press.ctrlKey) && 'CommandOrControl',
    mac && press.ctrlKey && 'Control',
    !mac && press.metaKey && 'Super',
    press.altKey && 'Alt',
    press.shiftKey && 'Shift',
  ].filter((m): m is string => typeof m === 'string');
  const key = keyName(press.code);
  if (!key) return { partial: true };
  if (modifiers.length === 0) return { needsModifier: true };
  return { accelerator: [...modifiers, key].join('+') };
}

/** How the recorded shortcut reads on this computer: Ctrl+Shift+T, or ⌘⇧T on a Mac. */
export function describeAccelerator(accelerator: string, mac: boolean): string {
  if (!accelerator) return 'None';
  const names: Record<string, string> = mac
    ? { CommandOrControl: '⌘', Control: '⌃', Alt: '⌥', Shift: '⇧', Super: '⌘' }
    : { CommandOrControl: 'Ctrl', Control: 'Ctrl', Alt: 'Alt', Shift: 'Shift', Super: 'Super' };
  const parts = accelerator.split('+').map((p) => names[p] ?? p);
  return parts.join(mac ? '' : '+');
}
