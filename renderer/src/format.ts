import type { TokenForm, TokenKind } from '../../electron/app/ipc-contract.js';

/** "in 54:07", "in 1:02:03", or "expired". */
export function formatCountdown(expiresAt: number, now: number): string {
  const s = Math.floor((expiresAt - now) / 1000);
  if (s <= 0) return 'expired';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `in ${h}:${String(m).padStart(2, '0')}:${sec}` : `in ${m}:${sec}`;
}

/** A fixed-length mask that shows only the token's first characters, so its length is not hinted. */
export function maskToken(token: string): string {
  return `${token.slice(0, 6)}${'•'.repeat(40)}`;
}

/** Google's long scope URLs, shortened for the chips; the full value stays in the title. */
export function shortScope(scope: string): string {
  return scope.replace(/^https:\/\/www\.googleapis\.com\/auth\//, '');
}

const FORM_LABEL = { raw: 'token', header: 'Authorization header', curl: 'curl command' } as const;
export function copiedMessage(kind: TokenKind, form: TokenForm): string {
  return `Copied the ${kind === 'access' ? 'access' : 'ID'} ${FORM_LABEL[form]}.`;
}
