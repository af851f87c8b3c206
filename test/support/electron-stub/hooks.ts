// Module resolution hook: `import ... from 'electron'` gets the stand-in next to this file.
const stub = new URL('./electron.js', import.meta.url).href;

export async function resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => Promise<unknown>): Promise<unknown> {
  if (specifier === 'electron') return { url: stub, shortCircuit: true };
  return next(specifier, context);
}
