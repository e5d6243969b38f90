/**
 * The rules that hold the house's shape (run by `npm test` through `npm run lint:deps`):
 * each process and layer imports only what it may, and nothing imports in a circle.
 */
const ML = '^node_modules/(@tensorflow|onnxruntime-node|onnx-proto)';
const DECODERS = '^node_modules/(sharp|@img)/';
module.exports = {
  forbidden: [
    {
      name: 'engine-stays-below',
      comment: 'The engine is pure Node: no Electron, and nothing from the app, services, host, CLI, preload or renderer. Of src/shared it may use only the vocabulary lists, not the IPC contract.',
      severity: 'error',
      from: { path: '^src/main/engine/' },
      to: { path: ['^src/main/(app|services|host|cli)/', '^src/(preload|renderer)/', '^src/shared/(contract|channels)\\.ts$', '^node_modules/electron/', '^electron$'] },
    },
    {
      name: 'main-process-loads-no-ml-runtime',
      comment: "Nothing the Electron main process loads (its entry and everything it reaches) imports TF.js or ONNX Runtime: they run in the engine's own process.",
      severity: 'error',
      from: { path: '^src/main/(index\\.ts|app/|services/)' },
      to: { path: ML, reachable: true },
    },
    {
      name: 'main-process-decodes-no-images',
      comment: 'Nothing the Electron main process loads decodes an image (sharp, our BMP decoder): a hostile file must never stall the process that owns the window. The engine host renders what the browser cannot show.',
      severity: 'error',
      from: { path: '^src/main/(index\\.ts|app/|services/)' },
      to: { path: [DECODERS, '^src/main/engine/image/(io|bmp)\\.ts$'], reachable: true },
    },
    {
      name: 'services-talk-to-engine-through-host',
      comment: 'Main-side services reach engine code only for plain helpers (errors, file writing, the training config and model manifests); the work goes through host/client.',
      severity: 'error',
      from: { path: '^src/main/services/' },
      to: { path: '^src/main/host/(entry|handlers)\\.ts$' },
    },
    {
      name: 'renderer-sees-only-shared',
      comment: 'The renderer imports only its own code and src/shared.',
      severity: 'error',
      from: { path: '^src/renderer/' },
      to: { pathNot: ['^src/(renderer|shared)/', '^node_modules/'] },
    },
    {
      name: 'preload-sees-only-shared',
      comment: 'The preload imports only its own code, src/shared and Electron.',
      severity: 'error',
      from: { path: '^src/preload/' },
      to: { pathNot: ['^src/(preload|shared)/', '^node_modules/electron/', '^electron$'] },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'src/shared is imported by every process, so it imports none of them.',
      severity: 'error',
      from: { path: '^src/shared/' },
      to: { path: '^src/(main|preload|renderer)/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    exoticRequireStrings: [],
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js', '.mjs', '.svelte'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
