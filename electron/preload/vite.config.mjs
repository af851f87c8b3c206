// Bundles the preload into dist/electron/preload/preload.cjs: CommonJS, as a sandboxed preload must
// be, with the contract inlined and only 'electron' left to require.
import { fileURLToPath } from 'node:url';

export default {
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../../dist/electron/preload', import.meta.url)),
    emptyOutDir: false,
    minify: false,
    target: 'es2022',
    lib: {
      entry: fileURLToPath(new URL('./preload.ts', import.meta.url)),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rolldownOptions: { external: ['electron'] },
  },
};
