// Hurricane's import rules (docs/architecture.md, "Import rules"). `npm test` runs
// `npm run lint:imports`; a violation fails it with the rule's name and the offending import.
// Paths are relative to the repository root.
const CORE = '^packages/core/src/';
const STAGES = `${CORE}(space|onnx|engine|data|train|profile|predict|search)/`;
const ORCHESTRATION = `${CORE}(workflows|session|cli|config|plugin-loader|farm)/`;
const TFJS = '(^|/)node_modules/@tensorflow/';
const ORT = '(^|/)node_modules/onnxruntime-(node|common|web)/';
const PLUGIN_PACKAGES =
  '(^|/)packages/(hw-[^/]+|predictors)/|(^|/)node_modules/@hurricane/(hw-[^/]+|predictors)/|^@hurricane/(hw-[^/]+|predictors)$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'space-is-pure',
      comment:
        'space/ is what an operator and an architecture are: IR, operators, backbones, analytics. It imports only space/, errors and random: no TF.js, no ONNX, no I/O.',
      severity: 'error',
      from: { path: `${CORE}space/` },
      to: { pathNot: [`${CORE}space/`, `${CORE}(errors|random)\\.ts$`, '(^|/)node_modules/fastest-levenshtein/'] },
    },
    {
      name: 'contracts-load-no-runtime-code',
      comment:
        'contracts/ (@hurricane/core/plugin) holds interfaces, tokens and the descriptor helper; it may import other modules for their types only.',
      severity: 'error',
      from: { path: `${CORE}contracts/` },
      to: { pathNot: `${CORE}contracts/`, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'adapter-kit-stays-light',
      comment:
        'adapter-kit/ is loaded by every hardware plugin: contracts, errors, random and small tools only; the ONNX exporter only through the lazy call-floor import.',
      severity: 'error',
      from: { path: `${CORE}adapter-kit/` },
      to: {
        path: [STAGES, ORCHESTRATION, TFJS, ORT, '(^|/)node_modules/(sharp|better-sqlite3|onnx-proto|protobufjs)/'],
        pathNot: `${CORE}onnx/call-floor\\.ts$`,
      },
    },
    {
      name: 'plugins-do-not-import-tfjs',
      comment: 'Hardware plugins and predictors never load TF.js: they measure ONNX models and fit on numbers.',
      severity: 'error',
      from: { path: '^packages/(hw-[^/]+|predictors)/' },
      to: { path: TFJS },
    },
    {
      name: 'core-never-imports-a-plugin',
      comment: 'Core finds plugins at run time (plugin-loader/); it never imports a plugin package.',
      severity: 'error',
      from: { path: '^packages/core/' },
      to: { path: PLUGIN_PACKAGES },
    },
    {
      name: 'search-imports-neither-tfjs-nor-hardware',
      comment:
        'search/ strategies see an architecture only through the Evaluator and Predictor contracts: no TF.js, ONNX Runtime, engine, training or hardware code.',
      severity: 'error',
      from: { path: `${CORE}search/` },
      to: { path: [TFJS, ORT, `${CORE}(engine|train|adapter-kit)/`, PLUGIN_PACKAGES] },
    },
    {
      name: 'onnx-needs-no-engine',
      comment:
        'onnx/ exports and initialises models in plain JavaScript: no TF.js, no ONNX Runtime, nothing of engine/ or the later stages.',
      severity: 'error',
      from: { path: `${CORE}onnx/` },
      to: { path: [TFJS, ORT, `${CORE}(engine|data|train|profile|predict|search)/`] },
    },
    {
      name: 'profile-never-loads-tfjs',
      comment: 'Profiling exports operators with the seeded initialiser of onnx/; it never loads TF.js or the training stages.',
      severity: 'error',
      from: { path: `${CORE}profile/` },
      to: { path: [TFJS, `${CORE}(engine|data|train|search)/`] },
    },
    {
      name: 'predict-stays-pure',
      comment:
        'predict/ fits and judges predictors on numbers: it never loads TF.js, ONNX Runtime, SQLite, hardware plugins or the training and profiling stages.',
      severity: 'error',
      from: { path: `${CORE}predict/` },
      to: { path: [TFJS, ORT, '(^|/)node_modules/better-sqlite3/', PLUGIN_PACKAGES, `${CORE}(onnx|engine|data|train|profile|search)/`] },
    },
    {
      name: 'engine-below-training',
      comment: 'engine/ runs networks on TF.js; it knows nothing of datasets, training, profiling or search.',
      severity: 'error',
      from: { path: `${CORE}engine/` },
      to: { path: `${CORE}(data|train|profile|predict|search)/` },
    },
    {
      name: 'data-below-training',
      comment: 'data/ reads and serves datasets; the trainer imports it, never the other way.',
      severity: 'error',
      from: { path: `${CORE}data/` },
      to: { path: `${CORE}(engine|train|profile|predict|search)/` },
    },
    {
      name: 'train-does-not-read-profiles',
      comment: 'train/ takes its candidates as arguments; reading space.json and the session belongs to workflows/.',
      severity: 'error',
      from: { path: `${CORE}train/` },
      to: { path: `${CORE}(profile|predict|search)/` },
    },
    {
      name: 'stages-do-not-import-orchestration',
      comment:
        'A stage of the method never imports the session, the config, the plugin loader, a workflow or the CLI: those call the stages.',
      severity: 'error',
      from: { path: STAGES },
      to: { path: ORCHESTRATION },
    },
    {
      name: 'farm-is-transport',
      comment:
        'The device farm (farm/) moves models and measurements between requesters and agents: it measures through the HardwareAdapter contract only, and loads no TF.js, ONNX Runtime, SQLite or method stage.',
      severity: 'error',
      from: { path: `${CORE}farm/` },
      to: {
        path: [
          TFJS,
          ORT,
          '(^|/)node_modules/better-sqlite3/',
          PLUGIN_PACKAGES,
          `${CORE}(space|onnx|engine|data|train|profile|predict|search|workflows|cli)/`,
        ],
      },
    },
    {
      name: 'session-only-composes',
      comment:
        'session/ builds a run from the config and the plugins and looks their services up: it imports config/, plugin-loader/, the contracts, the adapter kit and Eq. 4, never the farm (the composition root create-session.ts adds it), a workflow, the CLI or another stage.',
      severity: 'error',
      from: { path: `${CORE}session/` },
      to: {
        path: [
          `${CORE}(farm|workflows|cli|space|onnx|engine|data|train|predict|search)/`,
          `${CORE}profile/`,
          TFJS,
          ORT,
          '(^|/)node_modules/better-sqlite3/',
        ],
        pathNot: `${CORE}profile/eq4-scoring\\.ts$`,
      },
    },
    {
      name: 'config-reads-config',
      comment:
        'config/ finds, reads, validates and layers the config (and loads plugin modules to validate their blocks): it imports plugin-loader/ and the contracts, never the session, the farm, a workflow, the CLI or a stage.',
      severity: 'error',
      from: { path: `${CORE}config/` },
      to: { path: [`${CORE}(session|farm|workflows|cli|adapter-kit)/`, STAGES, TFJS, ORT] },
    },
    {
      name: 'report-renders',
      comment:
        'report/ renders what a run recorded (Markdown, HTML, Vega-Lite charts); it reads no files, runs no stage and loads no TF.js.',
      severity: 'error',
      from: { path: `${CORE}report/` },
      to: { path: [ORCHESTRATION, TFJS, ORT, '(^|/)node_modules/better-sqlite3/', `${CORE}(onnx|engine|data|train)/`] },
    },
    {
      name: 'only-the-cli-imports-the-cli',
      comment: 'The CLI is a thin layer over the programmatic API; nothing below it imports it.',
      severity: 'error',
      from: { path: CORE, pathNot: `${CORE}cli/` },
      to: { path: `${CORE}cli/` },
    },
    {
      name: 'no-circular',
      comment: 'A cycle between modules hides which way the arrows point.',
      severity: 'error',
      from: { path: CORE },
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '^packages/[^/]+/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
