/**
 * Build config: the main process (with the engine host as a second entry),
 * the sandboxed preload (CommonJS, as sandboxed preloads must be), and the
 * Svelte renderer.
 */
import { resolve } from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          'engine-host': resolve('src/main/host/entry.ts'),
          'grad-worker': resolve('src/main/engine/training/steps/parallel/grad-worker.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [svelte()],
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } },
  },
});
