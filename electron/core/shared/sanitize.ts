import { TokenTrayError, type ErrorCode } from './errors.js';

/*
 * One policy for text that someone else controls (an issuer, a key file, a hand-edited
 * accounts.json). Hidden characters are:
 * - control characters a terminal acts on: C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F).
 *   An email such as `ESC]52;c;…BEL` would otherwise write the clipboard or the window title of
 *   whoever prints it. JSON.stringify escapes C0 but leaves DEL and C1 raw;
 * - format characters (Cf): bidirectional controls (U+202A–U+202E, U+2066–U+2069), zero-width
 *   characters (U+200B–U+200F, U+2060, U+FEFF), soft hyphens…, which reorder or hide what is shown
 *   (`moc.elgoog@` shown as `@google.com`);
 * - the line and paragraph separators U+2028/U+2029, which break a line where no newline is seen;
 * - lone surrogates, which are not text.
 */
const HIDDEN_CLASS = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\p{Cs}';
const HIDDEN = new RegExp(`[${HIDDEN_CLASS}]`, 'u');
const HIDDEN_ALL = new RegExp(`[${HIDDEN_CLASS}]`, 'gu');
const HIDDEN_EXCEPT_LAYOUT = new RegExp(`(?![\\n\\t])[${HIDDEN_CLASS}]`, 'gu');
/**
 * Visible ASCII holds none of them: tested first, since V8 builds the Unicode classes above at
 * their first use, about a millisecond of a warm CLI call whose output (a token) is plain ASCII.
 */
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;
const VISIBLE_ASCII_AND_LAYOUT = /^[\x20-\x7e\n\t]*$/;
/** Line breaks of every kind, with the blanks around them: folded into one space. */
const LINE_BREAKS = /[^\S\n\r\u000b\u000c\u0085\u2028\u2029]*[\n\r\u000b\u000c\u0085\u2028\u2029]\s*/gu;

/** `\uXXXX` for each UTF-16 unit: also a valid JSON escape, which decodes to the original. */
const escape = (c: string) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Whether the text holds a control, format or line/paragraph-separator character (see above). */
export function hasHiddenCharacters(text: string): boolean {
  return !VISIBLE_ASCII.test(text) && HIDDEN.test(text);
}

/**
 * Text safe to print to a terminal: every hidden character except newline and tab (the layout of
 * our own output) becomes a visible `\uXXXX`. The same escape is valid inside a JSON string, so
 * `--json` output stays parseable and decodes to the original value.
 */
export function terminalSafe(text: string): string {
  return VISIBLE_ASCII_AND_LAYOUT.test(text) ? text : text.replace(HIDDEN_EXCEPT_LAYOUT, escape);
}

/** One value (an email, a name) for a single line of text: newlines and tabs are escaped too. */
export function displaySafe(value: string): string {
  return VISIBLE_ASCII.test(value) ? value : value.replace(HIDDEN_ALL, escape);
}

/** Longest issuer message quoted in one of our sentences, in characters before escaping. */
const ISSUER_TEXT_LIMIT = 300;

/**
 * Text an issuer (or any server) wrote, for one of our sentences or a log line: one line (every
 * kind of line break folded into a space, so it cannot forge a line of ours such as "now run: …"),
 * visible (the rest escaped) and at most `limit` characters.
 */
export function issuerText(text: string, limit = ISSUER_TEXT_LIMIT): string {
  const folded = text.replace(LINE_BREAKS, ' ');
  const points = Array.from(folded);
  return displaySafe(points.length > limit ? `${points.slice(0, limit).join('')}…` : folded);
}

/**
 * A file path from a file someone else may have written, for one of our sentences: like
 * `issuerText`, but a long one loses its middle, so the file's own name is still shown.
 */
export function pathText(path: string, limit = 120): string {
  const points = Array.from(path.replace(LINE_BREAKS, ' '));
  if (points.length <= limit) return displaySafe(points.join(''));
  const head = Math.floor(limit / 3);
  return displaySafe(`${points.slice(0, head).join('')}…${points.slice(points.length - (limit - head)).join('')}`);
}

/**
 * Refuses an identity field (email, subject, client id…) that holds hidden characters, before it
 * is stored or shown. `what` names the field and where it came from.
 */
export function assertNoControlCharacters(value: string | undefined, code: ErrorCode, what: string): void {
  if (value !== undefined && hasHiddenCharacters(value)) {
    throw new TokenTrayError(
      code,
      `${what} contains control characters or invisible formatting characters ("${displaySafe(value.slice(0, 80))}"); refusing it, since printing it could drive your terminal or disguise the name.`,
    );
  }
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** A JWT in compact form: three (JWS) or five (JWE) base64url parts. */
const JWT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){2}((\.[A-Za-z0-9_-]*){2})?$/;
/** RFC 6749 Appendix A.17: refresh-token = 1*VSCHAR (%x20-7E). */
const VSCHAR = /^[\x20-\x7e]+$/;

/** Whether a scope is an RFC 6749 scope-token (visible ASCII but `"` and `\\`, no space). */
export function isScopeToken(scope: string): boolean {
  return SCOPE_TOKEN.test(scope);
}

/** Whether a token can be sent as `Authorization: Bearer …` as it is (RFC 6750's b64token). */
export function isBearerToken(token: string): boolean {
  return B64TOKEN.test(token);
}

/** The tokens of one answer of an issuer (or Google), checked before they are stored or shown. */
export interface IssuedTokens {
  accessToken?: string;
  idToken?: string;
  refreshToken?: string;
  /** The granted scopes, as the answer's space-separated `scope`. */
  scope?: string;
}

/** Where a value first leaves its syntax, without quoting it: a token stays a secret even when malformed. */
function firstOutside(value: string, allowed: RegExp): string {
  const points = Array.from(value);
  const at = points.findIndex((c) => !allowed.test(c));
  if (at < 0) return value.length === 0 ? 'it is empty' : 'its characters are in the wrong places';
  return `character ${at + 1} is U+${points[at].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function badResponse(from: string, what: string, value: string, allowed: RegExp): TokenTrayError {
  return new TokenTrayError(
    'PROVIDER_BAD_RESPONSE',
    `${from} sent ${what} that breaks its syntax (${firstOutside(value, allowed)}); TokenTray neither stored nor showed it.`,
  );
}

/**
 * Every token and scope an issuer sends must be visible ASCII of its own syntax before TokenTray
 * stores or prints it: an access token as a bearer token (RFC 6750), an ID token as a JWT, a
 * refresh token as RFC 6749's VSCHAR, each scope as an RFC 6749 scope-token. A token with an
 * escape or a C1 byte would otherwise reach docker's JSON, kubectl or a terminal raw. `from` names
 * the sender.
 */
export function assertIssuedTokens(from: string, tokens: IssuedTokens): void {
  const { accessToken, idToken, refreshToken, scope } = tokens;
  if (accessToken !== undefined && !B64TOKEN.test(accessToken)) throw badResponse(from, 'an access token', accessToken, /[A-Za-z0-9\-._~+/=]/);
  if (idToken !== undefined && !JWT.test(idToken)) throw badResponse(from, 'an ID token', idToken, /[A-Za-z0-9_\-.]/);
  if (refreshToken !== undefined && !VSCHAR.test(refreshToken)) throw badResponse(from, 'a refresh token', refreshToken, /[\x20-\x7e]/);
  for (const s of scope === undefined ? [] : scope.split(' ').filter(Boolean)) {
    if (!SCOPE_TOKEN.test(s)) throw badResponse(from, `the scope "${issuerText(s, 80)}"`, s, /[\x21\x23-\x5b\x5d-\x7e]/);
  }
}
