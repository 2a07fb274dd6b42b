// `cli/` — the `hurricane` command: a thin layer over the programmatic API (this file declares the
// commands; `commands/*` each import their workflow only when run, so `plugins` or `doctor` never
// load TF.js). Output helpers, progress bars and Ctrl-C handling live beside it. Nothing outside
// `cli/` imports it (rule `only-the-cli-imports-the-cli`).
import { Command, CommanderError, Option } from 'commander';
import { createSession } from '../create-session.js';
import type { HurricaneSession } from '../session/session.js';
import { SEARCH_PHASES } from '../workflows/run-folder.js';
import { GLOBAL_FLAGS, type GlobalFlag, overridesFrom } from '../config/global-flags.js';
import { ExitCode, HurricaneError, describeError } from '../errors.js';
import { processIO, type CliIO } from './output.js';
import { CORE_VERSION } from '../version.js';
import { eachTarget, targetOption } from './targets.js';

/** Runs a command with a session made from the global flags, and records its exit code. */
type WithSession = (
  fn: (session: HurricaneSession, opts: { json?: boolean }) => number | Promise<number>,
) => (opts: { json?: boolean }) => Promise<void>;

/** The `hurricane` program with its global flags (from the one table in `config/global-flags.ts`). */
function program(io: CliIO): Command {
  const p = new Command('hurricane')
    .description('Hardware-aware one-shot neural architecture search (HURRICANE)')
    .version(CORE_VERSION, '-v, --version', 'print the version of @hurricane/core');
  for (const f of GLOBAL_FLAGS as readonly GlobalFlag[]) {
    const option = new Option(f.syntax, f.description);
    if (f.choices) option.choices(f.choices);
    if (f.repeatable) option.argParser((v: string, prev: string[] = []) => [...prev, v]);
    p.addOption(option);
  }
  return p
    .showHelpAfterError('(run hurricane --help for usage)')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
}

/** `plugins`, `doctor`, `config`: what a run would load and use. */
function setupCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('plugins')
    .description('list the loaded plugins and the adapters, scorers and predictors they provide')
    .option('--json', 'print JSON')
    .action(withSession(async (s, o) => (await import('./commands/plugins.js')).pluginsCommand(s, io, o)));
  p.command('doctor')
    .description(
      "check each adapter's vendor tools, SDK and devices (each target's, with a targets block); exit 1 when a selected one is not ready",
    )
    .addOption(targetOption())
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => (await import('./commands/doctor.js')).doctorCommand(s, io, o as { json?: boolean; target?: string[] })),
    );
  p.command('config')
    .description('print the resolved config and where each value came from')
    .option('--json', 'print JSON')
    .action(withSession(async (s, o) => (await import('./commands/config.js')).configCommand(s, io, o)));
}

/** `inspect`, `export`: the search space. */
function spaceCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('inspect')
    .description('FLOPs, params, peak activation memory and a per-layer table of an architecture')
    .requiredOption('--arch <arch>', 'operators, comma-separated (Choice_3,MB_5_3_SE,...), a JSON array, or @file')
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => (await import('./commands/inspect.js')).inspectCommand(s, io, o as { arch: string; json?: boolean })),
    );
  p.command('export')
    .description(
      "write an architecture (or one operator in a layer context) as an ONNX model, or retrain and export a candidate of a search's Pareto front",
    )
    .option('--arch <arch>', 'operators, comma-separated, a JSON array, or @file')
    .requiredOption('-o, --output <file>', 'ONNX file to write')
    .option('--weights <file>', 'trained weights (safetensors) instead of the seeded initialisation')
    .option('--layer <n>', 'export one operator in the context of layer n (1-based)')
    .option('--operator <name>', 'the operator for --layer')
    .option('--from-pareto <n>', "retrain and export candidate n of a search's pareto.json (1 = the fastest)")
    .option('--run <name>', 'the search run of --from-pareto (default hurricane)')
    .action(
      withSession(async (s, o) =>
        (await import('./commands/export.js')).exportCommand(
          s,
          io,
          o as { arch?: string; output: string; weights?: string; layer?: string; operator?: string; fromPareto?: string; run?: string },
        ),
      ),
    );
}

/** `profile`, `space`, `latency`: measuring on the hardware. */
function profileCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('profile')
    .description('measure every candidate operator of the preset on the hardware (resumable; finished measurements are kept)')
    .option('--force', 're-measure what the latency store already has')
    .option('--until-stable', 'then measure again, in more rounds, the layer contexts whose kept set is unstable, until none is')
    .option('--stable-minutes <n>', 'time limit of --until-stable (default 10)')
    .addOption(targetOption())
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => {
        const { profileCommand } = await import('./commands/profile.js');
        return eachTarget(s, io, o, (t, tio) =>
          profileCommand(t, tio, o as { force?: boolean; json?: boolean; untilStable?: boolean; stableMinutes?: string }),
        );
      }),
    );
  p.command('space')
    .description("score the profiled operators, keep the best per layer, write space.json and print the hardware's Table 1")
    .addOption(targetOption())
    .option('--json', 'print space.json instead of the Markdown table')
    .action(
      withSession(async (s, o) => {
        const { spaceCommand } = await import('./commands/profile.js');
        return eachTarget(s, io, o, (t, tio) => spaceCommand(t, tio, o));
      }),
    );
  p.command('latency')
    .description('measure the latency of one whole network now')
    .requiredOption('--arch <arch>', 'operators, comma-separated, a JSON array, or @file')
    .option('--weights <file>', 'weights to export with (latency does not depend on them on most hardware)')
    .addOption(targetOption())
    .option('--json', 'print JSON (median_ms, mean_ms, p10_ms, p90_ms, cov, runs, provenance)')
    .action(
      withSession(async (s, o) => {
        const { latencyCommand } = await import('./commands/profile.js');
        return eachTarget(s, io, o, (t, tio) => latencyCommand(t, tio, o as { arch: string; weights?: string; json?: boolean }));
      }),
    );
}

/** `agent`: serve this host's devices to a device farm. */
function farmCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('agent')
    .description("serve this host's ready devices to the device farm at --farm / farm.url (BullMQ on Redis) until Ctrl-C")
    .option(
      '--serve <ids>',
      'adapter ids (or target names, with a targets block) to serve, comma-separated (default: every installed adapter that is ready, or every target)',
    )
    .option('--grace <seconds>', 'on Ctrl-C, how long the job in measurement may take before it is handed back', '30')
    .action(
      withSession(async (s, o) => (await import('./commands/agent.js')).agentCommand(s, io, o as { serve?: string; grace?: string })),
    );
}

/** `search`: the whole method in a resumable run folder. */
function searchCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('search')
    .description('run HURRICANE end to end: profile, space, predictor, coordinate ascent over supernets, retrain, verify, export, report')
    .addOption(new Option('--from <phase>', 'discard this phase and every later one and run them again').choices(SEARCH_PHASES))
    .option(
      '--name <run>',
      'run folder name under <workDir>/runs (default hurricane; spos with search.baseline, spos-reduced with search.baselineSpace: reduced)',
    )
    .option('--target <name>', 'the target to search on, when the run has several (default: the one its latency limit names)')
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) =>
        (await import('./commands/search.js')).searchCommand(s, io, o as { from?: string; name?: string; json?: boolean; target?: string }),
      ),
    );
}

/** `train`, `engine`: supernet training on TF.js (the only commands that load it). */
function trainCommands(p: Command, withSession: WithSession, io: CliIO): void {
  p.command('train')
    .description("train the supernet on the config's dataset (train block); resumes from its checkpoint, Ctrl-C saves one")
    .option('--steps <n>', 'training steps (default train.steps)')
    .option('--workers <n>', 'data-parallel worker threads (default train.workers: one per core)')
    .option('--fresh', 'delete the checkpoint and start again')
    .option('--reschedule', "resume a checkpoint written with other steps, schedule or lr, continuing with this run's schedule")
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) =>
        (await import('./commands/train.js')).trainCommand(
          s,
          io,
          o as { steps?: string; workers?: string; fresh?: boolean; reschedule?: boolean; json?: boolean },
        ),
      ),
    );
  p.command('engine')
    .description('choose the TF.js engine (tfjs-node-gpu, tfjs-node, wasm, cpu) and say why')
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => {
        const { selectEngine } = await import('../engine/select-engine.js');
        const choice = await selectEngine(s.config.core.engine);
        io.out(o.json ? JSON.stringify(choice, null, 2) : `engine: ${choice.engine} (TF.js backend '${choice.backend}'): ${choice.reason}`);
        return ExitCode.Success;
      }),
    );
}

/** `predictor dataset|fit|predict|eval`: latency predictors (docs/method.md §6). */
function predictorCommands(p: Command, withSession: WithSession, io: CliIO): void {
  const pr = p
    .command('predictor')
    .description('latency predictors: measure a data set, fit, predict and evaluate (CSV in, JSON models out)');
  const load = () => import('./commands/predictor.js');
  pr.command('dataset')
    .description('sample architectures of the reduced space, measure each network on the hardware (resumable) and write the encoded CSV')
    .option('-n <count>', 'architectures to sample and measure', '2000')
    .option('--repeats <count>', 'of those, how many to measure twice for the noise floor (default max(50, n/10))')
    .option('-o, --output <file>', 'CSV to write (default <workDir>/<target>/<preset>/predictor-dataset.csv)')
    .addOption(targetOption())
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => {
        const { datasetCommand } = await load();
        const picked = o as { output?: string; target?: string[] };
        if (picked.output !== undefined && s.targets(picked.target).length > 1)
          throw new HurricaneError('-o/--output names one file: pick one target with --target <name>', { exitCode: ExitCode.BadUsage });
        return eachTarget(s, io, o, (t, tio) =>
          datasetCommand(t, tio, o as { n: string; repeats?: string; output?: string; json?: boolean }),
        );
      }),
    );
  pr.command('fit')
    .description(
      'fit a predictor on a latency CSV (feature columns and latency_ms): scored on a 20 % hold-out and by k-fold CV, then fitted on every row; portable JSON out',
    )
    .requiredOption('--train <file.csv>', 'the training data')
    .requiredOption('-o, --output <predictor.json>', 'the predictor file to write')
    .option('--model <name>', 'gp, lasso, bayesian-ridge, lut, a plugin model, or auto (best by cross-validation); default predictor.model')
    .option('--alpha <a>', 'Lasso penalty α (default: chosen by 5-fold cross-validation)')
    .option('--nu <n>', 'GP Matérn smoothness ν')
    .option('--length-scale <l>', 'GP length scale (the starting point unless --fixed)')
    .option('--fixed', 'GP: keep the given hyper-parameters instead of maximising the marginal likelihood')
    .option('--test-share <s>', 'share of the rows held out to score a separate fit, in [0, 1); 0: cross-validation only', '0.2')
    .option('--folds <k>', 'cross-validation folds', '5')
    .option('--allow-weak', 'write a model that cannot rank the latencies (τ at chance, or no better than the mean) instead of refusing it')
    .option('--json', 'print JSON')
    .action(
      withSession(async (s, o) => (await load()).fitCommand(s, io, o as Parameters<Awaited<ReturnType<typeof load>>['fitCommand']>[2])),
    );
  pr.command('predict')
    .description('predict the latency of every row of a CSV with the same feature columns (latency_ms ignored)')
    .argument('<predictor.json>', 'a predictor file')
    .requiredOption('--input <file.csv>', 'rows to predict')
    .option('--json', 'print [{"mean": …, "std": …}, …] (std only where the model has one)')
    .action(async (file: string, o: { input: string; json?: boolean }) =>
      withSession(async (s) => (await load()).predictCommand(s, io, file, o))(o),
    );
  pr.command('eval')
    .description('RMSE, MAE, MAPE, ±5 %/±10 %, Kendall τ and ±1σ/±2σ calibration of a predictor on a CSV with latency_ms')
    .argument('<predictor.json>', 'a predictor file')
    .requiredOption('--input <file.csv>', 'rows with measured latencies')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { input: string; json?: boolean }) =>
      withSession(async (s) => (await load()).evalCommand(s, io, file, o))(o),
    );
  pr.command('recalibrate')
    .description(
      'refit only a scale and offset of a predictor to the hardware as it is now (after a runtime update or when the canaries moved), from a few networks measured now',
    )
    .argument('<predictor.json>', 'a fitted predictor file')
    .requiredOption('-o, --output <recalibrated.json>', 'the predictor file to write')
    .option('-n, --networks <n>', 'networks to measure now (≥ 3)', '20')
    .option('--json', 'print JSON')
    .action(async (file: string, o: { output: string; networks: string; json?: boolean }) =>
      withSession(async (s) => (await load()).recalibrateCommand(s, io, file, o))(o),
    );
}

/** The exit code of an error a command threw, with its one-line message (and details) on stderr. */
function exitCodeOf(error: unknown, io: CliIO): number {
  if (error instanceof CommanderError) {
    const shown = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help';
    return shown && error.exitCode === 0 ? ExitCode.Success : ExitCode.BadUsage;
  }
  if (error instanceof HurricaneError) {
    io.err(`hurricane: ${error.message}`);
    for (const d of error.details) io.err(`hurricane: ${d}`);
    if (process.env.HURRICANE_DEBUG && error.stack) io.err(error.stack);
    return error.exitCode;
  }
  io.err(`hurricane: unexpected error: ${describeError(error)} (set HURRICANE_DEBUG=1 for the stack trace and report it)`);
  if (process.env.HURRICANE_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
  return ExitCode.RunFailed;
}

/**
 * Runs the `hurricane` CLI with `argv` (without `node` and the script) and returns the exit code:
 * 0 success, 1 the run failed, 2 bad usage or config. Never calls `process.exit`.
 */
export async function main(argv: readonly string[], io: CliIO = processIO, cwd: string = process.cwd()): Promise<number> {
  let exitCode: number = ExitCode.Success;
  const p = program(io);
  const withSession: WithSession = (fn) => async (opts) => {
    const { configPath, overrides } = overridesFrom(p.opts());
    const session = await createSession({ cwd, configPath, overrides });
    try {
      exitCode = await fn(session, opts);
    } finally {
      await session.dispose();
    }
  };
  setupCommands(p, withSession, io);
  spaceCommands(p, withSession, io);
  profileCommands(p, withSession, io);
  trainCommands(p, withSession, io);
  predictorCommands(p, withSession, io);
  searchCommands(p, withSession, io);
  farmCommands(p, withSession, io);
  try {
    await p.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeOf(error, io);
  }
}
