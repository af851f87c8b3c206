/**
 * The version in package.json, which ships in the npm package and in the app's asar alike. Found
 * by walking up from this module: tsc's output and the bundles (dist/electron/cli/*.cjs, and their
 * chunks under bundled/NAME/) sit at different depths below it.
 */
export async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  for (let up = 1; up <= 6; up++) {
    const text = await readFile(new URL(`${'../'.repeat(up)}package.json`, import.meta.url), 'utf8').catch(() => undefined);
    const pkg = text === undefined ? undefined : (JSON.parse(text) as { name?: string; version?: string });
    if (pkg?.name === 'tokentray' && typeof pkg.version === 'string') return pkg.version;
  }
  throw new Error('package.json of tokentray not found beside the CLI');
}
