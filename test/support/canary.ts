/**
 * Secret canaries: every token and secret the test identity providers issue is noted here, and
 * the CLI runner checks that no command's output (but the print-* commands', and exec/curl, whose
 * output is their child's) contains any of them. Runs with the file vault (TOKENTRAY_KEYCHAIN=file)
 * are checked the same way, and for the vault's passphrase in every output and every file
 * (test/support/sandbox.ts).
 */
export const issuedSecrets = new Set<string>();

export function noteSecret(value: unknown): void {
  if (typeof value === 'string' && value.length >= 16) issuedSecrets.add(value);
}

/** Where in `text` a known secret appears, described without quoting it. */
export function secretHits(text: string, extra: Iterable<string> = []): string[] {
  const hits: string[] = [];
  for (const secret of [...issuedSecrets, ...extra]) {
    if (secret.length >= 16 && text.includes(secret)) hits.push(`${secret.slice(0, 4)}… (${secret.length} chars)`);
  }
  return hits;
}

/** Commands whose output is meant to hold a token. */
export const TOKEN_PRINTING = new Set(['print-access-token', 'print-identity-token', 'exec', 'curl', 'kube-credential']);
