/**
 * One value (an email, a name) for a single line of the window: every control character (C0, DEL,
 * C1) becomes a visible `\u00XX`. The window's own copy of electron/core/shared/sanitize.ts
 * `displaySafe`: the renderer takes only types from the main side (test/import-graph.test.ts).
 */
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

export function displaySafe(value: string): string {
  return value.replace(CONTROL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
