import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readWeights } from '@hurricane/core/onnx';
import { describe, expect, it } from 'vitest';
import { exitOf, fileReady, processGone, textOf } from './events.js';
import { CLI, FAKE_BIN, FAKE_SNPE_ROOT, REPO, THIRD_PARTY, makeProject, pathWith, pkgDir } from './helpers.js';

const exec = promisify(execFile);

/** Runs the real `hurricane` bin as a user would; returns its exit code and output. */
async function hurricane(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  try {
    const r = await exec(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, ...opts.env },
      timeout: 60_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const json = (v: unknown) => JSON.stringify(v);

describe('hurricane CLI', () => {
  it('--version prints the version of @hurricane/core and exits 0', async () => {
    const version = JSON.parse(readFileSync(path.join(REPO, 'packages/core/package.json'), 'utf8')).version;
    const r = await hurricane(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  it('--help lists the commands and exits 0', async () => {
    const r = await hurricane(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['plugins', 'doctor', 'config']) expect(r.stdout).toContain(cmd);
  });

  it('exits 2 on an unknown command, an unknown flag and no command', async () => {
    expect((await hurricane(['serach'])).code).toBe(2);
    const flag = await hurricane(['plugins', '--jsno']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("unknown option '--jsno'");
    expect((await hurricane([])).code).toBe(2);
  });

  it('plugins lists the adapters of the three hw packages installed in the repository', async () => {
    const r = await hurricane(['plugins']);
    expect(r.code).toBe(0);
    for (const id of ['snpe-dsp', 'snpe-gpu', 'snpe-cpu', 'openvino', 'arm-cpu', 'arm-cpu-remote'])
      expect(r.stdout).toMatch(new RegExp(`adapter\\s+${id}\\s`));
    const j = JSON.parse((await hurricane(['plugins', '--json'])).stdout);
    expect(j.selected).toBe('arm-cpu');
    expect(j.plugins.flatMap((p: { adapters: { id: string }[] }) => p.adapters.map((a) => a.id)).sort()).toEqual([
      'arm-cpu',
      'arm-cpu-remote',
      'openvino',
      'snpe-cpu',
      'snpe-dsp',
      'snpe-gpu',
    ]);
  });

  it('exits 2 naming the misspelt key and the file', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ hardwre: 'snpe-dsp' }) });
    const r = await hurricane(['plugins'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `hurricane: ${dir}/hurricane.config.json: unknown key 'hardwre' — did you mean 'hardware'?; remove it, fix its spelling, or add the plugin that owns it to 'plugins'\n`,
    );
  });

  it('exits 2 when a listed plugin is not installed, with where it looked and the install command', async () => {
    const dir = makeProject({ '.hurricanerc.yaml': 'plugins: [hurricane-plugin-nowhere]\n' });
    const r = await hurricane(['doctor'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is not installed (looked from ${dir}, `);
    expect(r.stderr).toContain(`run 'npm install -D hurricane-plugin-nowhere' in ${dir}`);
  });

  it('a config kept outside the project still finds the plugins installed where the command runs', async () => {
    const elsewhere = makeProject({ 'x.json': json({ hardware: 'ort-perf-test' }) });
    const project = makeProject({}, { 'hurricane-plugin-ort-perf-test': THIRD_PARTY });
    const r = await hurricane(['plugins', '--config', path.join(elsewhere, 'x.json'), '--json'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plugins.map((p: { name: string }) => p.name)).toContain('hurricane-plugin-ort-perf-test');
  });

  it('doctor exits 0 when the selected adapter is ready and explains what the others miss', async () => {
    const r = await hurricane(['doctor'], { env: { PATH: pathWith(), SNPE_ROOT: '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^arm-cpu \(selected\): ready$/m);
    expect(r.stdout).toMatch(/^snpe-dsp: NOT READY$/m);
    expect(r.stdout).toContain("fix: install Android platform-tools (Debian: 'apt-get install adb')");
    expect(r.stdout).toMatch(/^openvino: NOT READY$/m);
  });

  it('doctor exits 1 when the selected adapter is not ready, and 0 once its tools and device are there', async () => {
    const notReady = await hurricane(['doctor', '--hardware', 'snpe-dsp'], { env: { PATH: pathWith(), SNPE_ROOT: '' } });
    expect(notReady.code).toBe(1);
    expect(notReady.stdout).toContain("The selected hardware 'snpe-dsp' is not ready");
    const ready = await hurricane(['doctor', '--hardware', 'snpe-dsp', '--json'], {
      env: { PATH: pathWith(FAKE_BIN), SNPE_ROOT: FAKE_SNPE_ROOT, FAKE_ADB_STATE: 'device' },
    });
    expect(ready.code).toBe(0);
    const report = JSON.parse(ready.stdout);
    const dsp = report.reports.find((x: { adapterId: string }) => x.adapterId === 'snpe-dsp');
    expect(dsp.ready).toBe(true);
    expect(dsp.checks.find((c: { name: string }) => c.name === 'snpe-net-run').detail).toContain('version 2.14.2.230905160328_61726');
  });

  it('doctor exits 2 for a hardware id no plugin provides', async () => {
    const r = await hurricane(['doctor', '--hardware', 'snpe-dps']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("hardware 'snpe-dps' (from --hardware) is not provided by any loaded plugin — did you mean 'snpe-dsp'?");
  });

  it('config prints each value with its source: default < file < flag', async () => {
    const dir = makeProject({ 'hurricane.config.yaml': `plugins: ['${pkgDir('hw-openvino')}']\nseed: 3\nopenvino:\n  device: MYRIAD\n` });
    const r = await hurricane(['config', '--seed', '7'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^seed\s+7\s+flag --seed$/m);
    expect(r.stdout).toMatch(/^preset\s+"cifar"\s+default$/m);
    expect(r.stdout).toMatch(/^openvino\.device\s+"MYRIAD"\s+file hurricane\.config\.yaml$/m);
    const j = JSON.parse((await hurricane(['config', '--json'], { cwd: dir })).stdout);
    expect(j.config.seed).toBe(3);
    expect(j.sources.seed).toEqual({ kind: 'file', file: path.join(dir, 'hurricane.config.yaml') });
  });

  it('exits 2 with the flag named for a bad flag value', async () => {
    const r = await hurricane(['config', '--seed', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('hurricane: command line: --seed expected number, found the string "x"\n');
  });

  it('a number on the command line gets the message the same number gets in a config file', async () => {
    for (const [value, problem] of [
      ['-1', 'expected a number ≥ 0, found number -1'],
      ['1.5', 'expected a whole number, found number 1.5'],
    ]) {
      const flag = await hurricane(['config', `--seed=${value}`]);
      expect(flag).toMatchObject({ code: 2, stderr: `hurricane: command line: --seed ${problem}\n` });
      const dir = makeProject({ 'hurricane.config.json': `{ "seed": ${value} }` });
      const file = await hurricane(['config'], { cwd: dir });
      expect(file).toMatchObject({ code: 2, stderr: `hurricane: ${dir}/hurricane.config.json: 'seed' ${problem}\n` });
    }
  });

  it('an unknown command is named as such with the closest command (also after global flags); help <command> shows its help', async () => {
    for (const argv of [['launch'], ['--preset', 'mnist', 'launch'], ['--farm', 'redis://127.0.0.1:1', 'launch']]) {
      const r = await hurricane(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("error: unknown command 'launch'\n(Did you mean latency?)");
    }
    const unknownHelp = await hurricane(['help', 'launch']);
    expect(unknownHelp.code).toBe(2);
    expect(unknownHelp.stderr).toContain('Commands:');
    const searchHelp = await hurricane(['help', 'search']);
    expect(searchHelp.code).toBe(0);
    expect(searchHelp.stdout).toMatch(/^Usage: hurricane search \[options\]/);
    expect(searchHelp.stdout).toContain('--from <phase>');
    const help = await hurricane(['help', 'doctor']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: hurricane doctor \[options\]/);
  });

  it('config shows the farm URL with its password hidden (text and JSON)', async () => {
    const dir = makeProject({ 'hurricane.config.json': '{ "plugins": [], "farm": { "url": "redis://:s3cret@lab:6379" } }' });
    for (const args of [['config'], ['config', '--json'], ['--farm', 'rediss://u:fl@g@lab:6380', 'config', '--json']]) {
      const r = await hurricane(args, { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(':***@lab');
      expect(r.stdout + r.stderr).not.toMatch(/s3cret|fl@g/);
    }
  });

  it('a global flag before the command word reaches the command: --farm before profile fails in the farm code with its own line', async () => {
    const dir = makeProject({ 'hurricane.config.json': '{ "plugins": [], "farm": { "timeoutMs": 1000 } }' });
    const r = await hurricane(['--farm', 'redis://127.0.0.1:1', 'profile'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("cannot reach the farm's Redis at redis://127.0.0.1:1");
  });

  it('search --from names the phases when given another word (Commander choices), exit 2', async () => {
    const r = await hurricane(['search', '--from', 'serch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "argument 'serch' is invalid. Allowed choices are profile, space, dataset, predictor, search, retrain, verify, export, rank-check, report.",
    );
  });
});

describe('hurricane CLI and Ctrl-C', () => {
  it('stops a hanging vendor tool and its process tree on SIGINT, exiting 130', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const os = await import('node:os');
    const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'hurricane-sigint-')), 'adb.pid');
    const child = spawn(process.execPath, [CLI, 'doctor', '--hardware', 'snpe-dsp'], {
      cwd: REPO,
      env: { ...process.env, PATH: pathWith(FAKE_BIN), SNPE_ROOT: FAKE_SNPE_ROOT, FAKE_ADB_STATE: 'hang', FAKE_ADB_PIDFILE: pidFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr = textOf(child.stderr);
    // the fake writes its pid non-atomically: wait for a whole number, not just the file
    const adbPid = await fileReady(pidFile, (f) => (Number(readFileSync(f, 'utf8')) > 0 ? Number(readFileSync(f, 'utf8')) : null));
    const exited = exitOf(child);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr.text()).toContain('hurricane: stopped by SIGINT');
    expect(await processGone(adbPid)).toBe(true);
  });
});

describe('hurricane train and two stop signals', () => {
  it('a second stop signal stops at once and says the checkpoint of which step is all that was saved', async () => {
    const { spawn } = await import('node:child_process');
    const dir = makeProject({
      'hurricane.config.json': JSON.stringify({
        plugins: [],
        preset: 'mnist',
        engine: 'wasm',
        train: { steps: 1000, batchSize: 8, workers: 1, checkpointEvery: 1, validationPerClass: 2 },
      }),
    });
    const child = spawn(process.execPath, [CLI, 'train'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = textOf(child.stderr);
    const exited = exitOf(child);
    await stderr.until(/\[3\/1000\]/);
    // Ctrl-C, then a SIGTERM (say, the service manager) while step 4 computes: both are pending when
    // the step ends (two different signals never merge into one, as two SIGINTs sent together can);
    // whichever the process takes first asks for a graceful stop, the other stops at once.
    child.kill('SIGINT');
    child.kill('SIGTERM');
    const code = await exited;
    const last = stderr.text().trim().split('\n').at(-1) ?? '';
    const m =
      /^hurricane: stopped by (SIGINT|SIGTERM); nothing after the checkpoint of step (\d+) \(.*supernet\.safetensors\) was saved$/.exec(
        last,
      );
    expect(m, stderr.text()).not.toBeNull();
    expect(code).toBe(m?.[1] === 'SIGINT' ? 130 : 143);
    const saved = JSON.parse(readWeights(path.join(dir, '.hurricane/arm-cpu/mnist/supernet.safetensors')).metadata.training as string);
    expect(saved.step).toBe(Number(m?.[2]));
  }, 120_000);
});

describe('hurricane inspect and export', () => {
  const spos20 = ['Choice_3', 'Choice_5', 'Choice_7', 'ChoiceX'].flatMap((op) => Array(5).fill(op)).join(',');

  it('inspect --json prints FLOPs and params as plain integers', async () => {
    const r = await hurricane(['inspect', '--preset', 'spos', '--arch', Array(20).fill('Choice_3').join(','), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.flops).toBe(295_842_496);
    expect(j.params).toBe(3_155_880);
    expect(j.layers).toHaveLength(20);
  });

  it('inspect prints a per-layer table and the totals', async () => {
    const r = await hurricane(['inspect', '--preset', 'spos', '--arch', spos20]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^20\s+4\s+7x7\s+640→640\s+1\s+ChoiceX\s/m);
    expect(r.stdout).toMatch(/^FLOPs \(multiply-adds\): [\d,]+ \([\d.]+ M\)$/m);
  });

  it('inspect exits 2 naming the layer of a bad operator', async () => {
    const r = await hurricane(['inspect', '--preset', 'spos', '--arch', spos20.replace('ChoiceX', 'MB_3_3')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "hurricane: --arch: layer 16: 'MB_3_3' is not in the 'spos' space (allowed: Choice_3, Choice_5, Choice_7, ChoiceX)\n",
    );
  });

  it('reads --arch @file (JSON)', async () => {
    const dir = makeProject({ 'arch.json': JSON.stringify(spos20.split(',')) });
    const r = await hurricane(['inspect', '--preset', 'spos', '--arch', `@${path.join(dir, 'arch.json')}`, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).arch).toEqual(spos20.split(','));
  });

  it('export writes an ONNX model that ONNX Runtime loads with input "input" and output "output"', async () => {
    const dir = makeProject();
    const file = path.join(dir, 'out', 'model.onnx');
    const r = await hurricane(['export', '--preset', 'mnist', '--arch', Array(20).fill('MB_3_3_SE').join(','), '-o', file]);
    expect(r.code).toBe(0);
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(file);
    expect(session.inputNames).toEqual(['input']);
    expect(session.outputNames).toEqual(['output']);
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) });
    expect((out.output as { dims: readonly number[] }).dims).toEqual([1, 10]);
    await session.release();
  });

  it('export of one operator in a layer context, and the errors of a mixed or missing request', async () => {
    const dir = makeProject();
    const ok = await hurricane([
      'export',
      '--preset',
      'cifar',
      '--layer',
      '5',
      '--operator',
      'ChoiceX_SE',
      '-o',
      path.join(dir, 'op.onnx'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ChoiceX_SE in layer 5 (32x32, 16→40, stride 2)');
    expect((await hurricane(['export', '--preset', 'cifar', '-o', path.join(dir, 'x.onnx')])).code).toBe(2);
    const weights = await hurricane([
      'export',
      '--preset',
      'mnist',
      '--arch',
      Array(20).fill('MB_3_3').join(','),
      '--weights',
      path.join(dir, 'nope.safetensors'),
      '-o',
      path.join(dir, 'y.onnx'),
    ]);
    expect(weights.code).toBe(2);
    expect(weights.stderr).toMatch(/^hurricane: weights file .*nope\.safetensors cannot be read: ENOENT/);
    const op = (layer: string, operator: string) =>
      hurricane(['export', '--preset', 'cifar', '--layer', layer, '--operator', operator, '-o', path.join(dir, 'z.onnx')]);
    expect(await op('5', 'FOO_3')).toMatchObject({
      code: 2,
      stderr: "hurricane: --operator: layer 5: 'FOO_3' is not one of the 32 operators — did you mean 'SEP_3'?\n",
    });
    expect(await op('21', 'MB_3_3')).toMatchObject({
      code: 2,
      stderr: "hurricane: --layer must be a layer number from 1 to 20 (the 'cifar' backbone has 20 searchable layers), got '21'\n",
    });
    expect(await op('0', 'MB_3_3')).toMatchObject({ code: 2 });
  });
});

describe('hurricane profile: kill -9 and resume', () => {
  it('keeps every finished measurement after kill -9 and measures only the rest on the next run', async () => {
    const { spawn } = await import('node:child_process');
    const Database = (await import('better-sqlite3')).default;
    // the simulated device, 10 ms per measurement
    const plugin = "export { simulatedDevicePlugin as default } from '@hurricane/core/testing/simulated';\n";
    const config = {
      plugins: ['./slow.mjs'],
      hardware: 'slow',
      preset: 'mnist',
      simDevice: { id: 'slow', fingerprint: 'slow-1', delayMs: 10 },
    };
    const dir = makeProject({ 'slow.mjs': plugin, 'hurricane.config.json': JSON.stringify(config) }, { '@hurricane/core': pkgDir('core') });
    const db = path.join(dir, '.hurricane', 'latency.sqlite');
    const count = () => {
      try {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return (d.prepare('SELECT COUNT(*) AS n FROM operator_latency').get() as { n: number }).n;
        } finally {
          d.close();
        }
      } catch {
        return 0;
      }
    };
    const child = spawn(process.execPath, [CLI, 'profile'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = exitOf(child);
    // a progress line is printed once its measurements are stored: kill after the first context's
    await textOf(child.stderr).until(/\[(2[4-9]|[3-9]\d|1\d\d)\/256\]/);
    child.kill('SIGKILL');
    await exited;
    const kept = count();
    expect(kept).toBeGreaterThanOrEqual(24);
    expect(kept).toBeLessThan(256);
    const resumed = await hurricane(['profile', '--json'], { cwd: dir });
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout);
    expect(summary).toMatchObject({ total: 256, reused: kept, measured: 256 - kept });
    expect(count()).toBe(256);
    const again = JSON.parse((await hurricane(['profile', '--json'], { cwd: dir })).stdout);
    expect(again).toMatchObject({ measured: 0, reused: 256 });
    const space = await hurricane(['space', '--json'], { cwd: dir });
    expect(space.code).toBe(0);
    expect(JSON.parse(space.stdout).candidates.flat()).toHaveLength(84);
  }, 60_000);

  it('space without a complete profile says what is missing and exits 1', async () => {
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [pkgDir('hw-arm-cpu')], preset: 'mnist' }) });
    const r = await hurricane(['space'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^hurricane: 256 of 256 operator latencies of preset 'mnist' are missing for arm-cpu on .*: run 'hurricane profile' first\n$/,
    );
    // The hint repeats the options this run was given, so that running it profiles what is missing.
    const flags = await hurricane(['space', '--preset', 'imagenet', '--work-dir', 'my runs'], { cwd: dir });
    expect(flags.code).toBe(1);
    expect(flags.stderr).toMatch(/: run 'hurricane profile --preset imagenet --work-dir 'my runs'' first\n$/);
  });

  it('latency --json measures a whole network for real', async () => {
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [pkgDir('hw-arm-cpu')], preset: 'mnist' }) });
    const file = path.join(REPO, 'examples/architectures/mixed-20.txt');
    const r = await hurricane(['latency', '--arch', `@${file}`, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    // It names what it measured: the preset and the architecture read from the example file.
    expect(j.preset).toBe('mnist');
    expect(j.arch).toEqual(
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#')),
    );
    expect(j.provenance.runtime).toBe('ONNX Runtime');
    // The protocol's floor: at least 10 rounds of 3 timed samples (docs/adapters/arm-cpu.md).
    expect(j.runs).toBeGreaterThanOrEqual(30);
    expect(j.p10_ms).toBeLessThanOrEqual(j.median_ms);
    expect(j.median_ms).toBeLessThanOrEqual(j.p90_ms);
    // The conditions it ran under: this host's cores and the load average before and after.
    expect(j.conditions.cores).toBe(os.cpus().length);
    expect(j.conditions.loadAverage).toHaveLength(2);
    // Cores that ran at half their maximum frequency (a sysfs tree laid out as Linux does, in kHz): a warning line.
    const sys = mkdtempSync(path.join(os.tmpdir(), 'hurricane-sysfs-'));
    const freq = path.join(sys, 'sys/devices/system/cpu/cpu0/cpufreq');
    mkdirSync(freq, { recursive: true });
    writeFileSync(path.join(freq, 'scaling_governor'), 'powersave\n');
    writeFileSync(path.join(freq, 'scaling_cur_freq'), '1200000\n');
    writeFileSync(path.join(freq, 'cpuinfo_max_freq'), '2400000\n');
    try {
      const slow = await hurricane(['latency', '--arch', `@${file}`], { cwd: dir, env: { HURRICANE_SYS_ROOT: sys } });
      expect(slow.code, slow.stderr).toBe(0);
      expect(slow.stdout).toMatch(
        // a busy machine (a CI run's other test files) adds the load before the throttling
        /^warning: measured under (?:heavy load from other processes [^\n]* and )?CPU throttling \(1200 of 2400 MHz\): this figure may not repeat$/m,
      );
    } finally {
      rmSync(sys, { recursive: true, force: true });
    }
  }, 90_000);

  it('train works with no config: the default preset gives way to the one the default dataset (MNIST, shipped) fits', async () => {
    const dir = makeProject();
    const r = await hurricane(['train', '--steps', '1', '--workers', '1', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^preset: mnist \(train\.dataset 'mnist' has 1x28x28 images; the default preset 'cifar' does not fit them\)$/m,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ preset: 'mnist', steps: 1, stopped_by: 'steps' });
  }, 120_000);

  it('train runs the supernet from the config, resumes from its checkpoint, and names a bad setting', async () => {
    const config = {
      plugins: [pkgDir('hw-arm-cpu')],
      preset: 'mnist',
      engine: 'wasm',
      train: { steps: 2, batchSize: 8, workers: 1, checkpointEvery: 1, validationPerClass: 2 },
    };
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify(config) });
    const first = await hurricane(['train', '--json'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^engine: wasm \(TF.js backend 'wasm'\): asked for with engine 'wasm'$/m);
    const a = JSON.parse(first.stdout);
    expect(a).toMatchObject({ steps: 2, resumed_from: 0, stopped_by: 'steps', workers: 1, candidates_from: 'preset', preset: 'mnist' });
    expect(a.probe.images).toBe(20);
    // Top-1 accuracy on 20 images is a whole number of them, and the loss a finite cross-entropy.
    expect(Number.isInteger(Math.round(a.probe.accuracy * 20 * 1e6) / 1e6)).toBe(true);
    expect(a.probe.accuracy).toBeLessThanOrEqual(1);
    expect(a.probe.loss).toBeGreaterThan(0);
    // Asking for more steps changes the linear schedule mid-run: refused unless asked for.
    const changed = await hurricane(['train', '--steps', '3', '--json'], { cwd: dir });
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(
      /^hurricane: checkpoint .*supernet\.safetensors was written by a run of 2 steps, linear schedule, lr 0\.1; this run asks for 3 steps, linear schedule, lr 0\.1, so the learning rate would change mid-run: start again with --fresh, or continue with the new schedule with --reschedule$/m,
    );
    const second = await hurricane(['train', '--steps', '3', '--reschedule', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ steps: 3, resumed_from: 2 });

    const bad = await hurricane(['train', '--steps', '0'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("hurricane: --steps must be a whole number ≥ 1, got '0'\n");
    const noDir = makeProject({
      'hurricane.config.json': JSON.stringify({ ...config, preset: 'cifar', train: { ...config.train, dataset: 'cifar10' } }),
    });
    const missing = await hurricane(['train'], { cwd: noDir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /hurricane: train\.dataDir is required for train\.dataset 'cifar10': set it to the folder with data_batch_1\.bin/,
    );
    // A preset set in the config that does not fit the dataset: a config error naming both keys.
    const mismatch = makeProject({ 'hurricane.config.json': JSON.stringify({ ...config, preset: 'cifar' }) });
    const wrong = await hurricane(['train'], { cwd: mismatch });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n').at(-2)).toBe(
      `hurricane: preset 'cifar' (${mismatch}/hurricane.config.json) expects 32x32x3 images but train.dataset 'mnist' (the default) has 28x28x1: set preset to 'mnist' or choose another train.dataset`,
    );
  }, 120_000);
});
