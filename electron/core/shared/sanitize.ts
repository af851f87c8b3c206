import { TokenTrayError, type ErrorCode } from './errors.js';

/**
 * Control characters a terminal acts on: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
 * An email such as `ESC]52;c;…BEL` would otherwise write the clipboard or the window title of
 * whoever prints it. JSON.stringify escapes C0 but leaves DEL and C1 raw.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_EXCEPT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Text safe to print to a terminal: every control character except newline and tab (the layout of
 * our own output) becomes a visible `\u00XX`. The same escape is valid inside a JSON string, so
 * `--json` output stays parseable and decodes to the original value.
 */
export function terminalSafe(text: string): string {
  return text.replace(CONTROL_EXCEPT_LAYOUT, escape);
}

/** One value (an email, a name) for a single line of text: newlines and tabs are escaped too. */
export function displaySafe(value: string): string {
  return value.replace(CONTROL_ALL, escape);
}

/**
 * Refuses an identity field (email, subject, client id…) that holds control characters, before it
 * is stored or shown. `what` names the field and where it came from.
 */
export function assertNoControlCharacters(value: string | undefined, code: ErrorCode, what: string): void {
  if (value !== undefined && hasControlCharacters(value)) {
    throw new TokenTrayError(code, `${what} contains control characters ("${displaySafe(value.slice(0, 80))}"); refusing it, since printing it could drive your terminal.`);
  }
}
