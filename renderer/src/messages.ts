import { ApiError } from './api.js';

/**
 * The core words its errors for every surface and may end them with a command-line hint
 * ("Sign in again with `tokentray login …`"). In the window the buttons say what to do, so those
 * sentences go, and a few codes get the window's own sentence.
 */
const WINDOW_WORDING: Record<string, (message: string) => string> = {
  CLIENT_REQUIRED: () =>
    'TokenTray needs your own OAuth client the first time: choose or drop its client_secret_….json file (see "How to get one" below), or import gcloud\'s credentials instead.',
  ADC_FILE_UNREADABLE: (message) => {
    const path = /^Cannot read the ADC file (.+?): /.exec(message)?.[1];
    return `No credentials from gcloud were found${path ? ` at ${path}` : ''}. Run \`gcloud auth application-default login\` in a terminal first, then import again.`;
  },
};

/** Splits text into sentences, never inside `code` (emails and commands hold dots). */
function sentences(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    current += c;
    if (c === '`') inCode = !inCode;
    else if (!inCode && (c === '.' || c === '?' || c === '!') && (i + 1 === text.length || text[i + 1] === ' ')) {
      out.push(current.trim());
      current = '';
    }
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/**
 * A sentence without its command-line hint: "Give its file again: `tokentray login …`." keeps
 * "Give its file again."; a sentence that is only the hint goes.
 */
function withoutCliHint(sentence: string): string | undefined {
  const at = sentence.search(/`tokentray\b/);
  if (at < 0) return sentence;
  const cut = Math.max(sentence.lastIndexOf(';', at), sentence.lastIndexOf(':', at));
  const kept = cut > 0 ? sentence.slice(0, cut).trim() : '';
  return kept && !/`tokentray\b/.test(kept) ? `${kept.replace(/[,;:]$/, '')}.` : undefined;
}

/** Drops command-line hints (sentences or clauses naming tokentray) and command-line flags in parentheses. */
export function forWindow(message: string): string {
  const kept = sentences(message)
    .map(withoutCliHint)
    .filter((s): s is string => s !== undefined)
    .map((s) => s.replace(/\s*\([^()]*--[a-z][\w-]*[^()]*\)/g, '').replace(/\s*\(see README\)/g, ''));
  return kept.join(' ') || message;
}

export function windowMessage(err: unknown): string {
  if (err instanceof ApiError) return forWindow(WINDOW_WORDING[err.code]?.(err.message) ?? err.message);
  return forWindow(err instanceof Error ? err.message : String(err));
}
