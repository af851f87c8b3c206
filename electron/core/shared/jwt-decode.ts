/** Splits a JWS into its decoded header and claims, for display only: nothing here verifies it. */
export function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } | null {
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const [header, claims] = [parts[0]!, parts[1]!].map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown);
    if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) return null;
    return { header: header as Record<string, unknown>, claims: claims as Record<string, unknown> };
  } catch {
    return null;
  }
}

/** A JWT's `exp` in epoch milliseconds, if it has one. */
export function jwtExpiry(jwt: string): number | undefined {
  const exp = decodeJwt(jwt)?.claims.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}
