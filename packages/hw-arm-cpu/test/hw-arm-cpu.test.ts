import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PRESETS } from '@hurricane/core';
import { exportOperator } from '@hurricane/core/onnx';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../../test/events.js';
import { FAKE_BIN, pathWith } from '../../../test/helpers.js';
import plugin, { ArmCpuAdapter, armCpuOptionsSchema, buildPerfTestArgs, parsePerfTest } from '../src/index.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-arm-'));
const tiny = path.join(work, 'tiny.onnx');
exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_3_1', output: tiny, seed: 1 });
const tinyModel = { path: tiny, inputName: 'input', inputShape: [1, 160, 4, 4], outputName: 'output' };

// A fake board: the fake adb's device folder with the fake onnxruntime_perf_test installed where the docs say.
const board = mkdtempSync(path.join(os.tmpdir(), 'hurricane-board-'));
mkdirSync(path.join(board, 'data/local/tmp'), { recursive: true });
copyFileSync(path.join(FAKE_BIN, 'onnxruntime_perf_test'), path.join(board, 'data/local/tmp/onnxruntime_perf_test'));
chmodSync(path.join(board, 'data/local/tmp/onnxruntime_perf_test'), 0o755);
const boardEnv = { PATH: pathWith(FAKE_BIN), FAKE_ADB_STATE: 'device', FAKE_ADB_DEVICE_DIR: board };

describeHardwarePlugin(plugin, {
  adapterIds: ['arm-cpu', 'arm-cpu-remote'],
  missing: { env: { PATH: pathWith() }, options: { runtimeModule: 'onnxruntime-node-not-installed' } },
  ready: { env: boardEnv, options: { remote: { rounds: 2, repetitions: 20 } } },
  // one real ONNX Runtime measurement of a tiny operator in-process, one on the fake board
  measure: { ids: ['arm-cpu', 'arm-cpu-remote'], model: () => tinyModel, workDir: () => work },
});

describe('arm-cpu-remote: onnxruntime_perf_test on a board over adb (vendor-tools.md §6)', () => {
  const recorded = readFileSync(new URL('../../../test/fixtures/vendor-outputs/onnxruntime_perf_test-2025.txt', import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
    .join('\n');
  it('parses the recorded 2025 output: the average in ms, the percentiles in seconds', () => {
    const r = parsePerfTest(recorded);
    const expected = { averageMs: 1.85739, p50Ms: 1.85674, p90Ms: 1.87215, minMs: 1.83404, maxMs: 1.90312, runs: 100 };
    expect(Object.keys(r).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expect(r[k as keyof typeof r]).toBeCloseTo(v, 10);
    expect(() => parsePerfTest('Run failed:Load model from m.onnx failed\n')).toThrow(
      /onnxruntime_perf_test: Run failed:Load model from m.onnx failed/,
    );
    expect(() => parsePerfTest('Session creation time cost: 0.01 s\n')).toThrow(/printed no 'Average inference time cost'/);
  });
  it('always passes -m times -r N (the default mode runs for 600 s), -s for percentiles and -I for random inputs', () => {
    expect(buildPerfTestArgs({ model: 'm0.onnx', repetitions: 100, threads: 1 })).toEqual([
      '-e',
      'cpu',
      '-m',
      'times',
      '-r',
      '100',
      '-x',
      '1',
      '-s',
      '-I',
      'm0.onnx',
    ]);
  });
  it('measures a batch in one round-trip (push, shell, pull), one P50 sample per round, and names the board', async () => {
    const argv = path.join(work, 'board-argv.jsonl');
    const h = await createPluginHarness(plugin, {
      env: { ...boardEnv, FAKE_ADB_ARGV: argv },
      options: { remote: { rounds: 3, repetitions: 10 } },
    });
    const a = h.adapter('arm-cpu-remote');
    const second = path.join(work, 'second op.onnx');
    exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_5_6', output: second, seed: 1 });
    const prepared = [await a.prepare(tinyModel), await a.prepare({ ...tinyModel, path: second })];
    const ms = await (a.measureBatch?.(prepared) ?? Promise.reject(new Error('no measureBatch')));
    expect(ms.map((m) => m.samplesMs.length)).toEqual([3, 3]);
    expect(ms[1]?.medianMs).toBeGreaterThan(ms[0]?.medianMs ?? Number.POSITIVE_INFINITY);
    expect(ms[0]?.provenance.runtimeVersion).toMatch(/^perf_test sha256:[0-9a-f]{12}$/);
    const calls = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    const verbs = calls.map((c) => (c[3] === 'shell' ? `shell:${String(c[4]).split(' ')[0]}` : c[3]));
    expect(verbs.filter((v) => v === 'push' || v === 'pull')).toEqual(['push', 'pull']);
    const run = calls.find((c) => String(c[4]).includes('onnxruntime_perf_test -e cpu'))?.[4] as string;
    expect(run).toContain(
      '/data/local/tmp/onnxruntime_perf_test -e cpu -m times -r 10 -x 1 -s -I m0.onnx > out_m0_r1.txt 2>&1; echo __RC_m0_r1__=$?',
    );
  });
  it("over ssh (a Linux board): scp up, one ssh running the batch, scp down; an unreachable board is OpenSSH's own line and the fix", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hurricane-linux-board-'));
    copyFileSync(path.join(FAKE_BIN, 'onnxruntime_perf_test'), path.join(root, 'onnxruntime_perf_test'));
    chmodSync(path.join(root, 'onnxruntime_perf_test'), 0o755);
    const argv = path.join(work, 'ssh-argv.jsonl');
    const env = {
      PATH: pathWith(FAKE_BIN),
      FAKE_SSH_HOST: 'rpi5.local',
      FAKE_SSH_ROOT: root,
      FAKE_SSH_PREFIX: '/srv/board',
      FAKE_SSH_ARGV: argv,
    };
    const remote = {
      transport: 'ssh',
      host: 'rpi5.local',
      user: 'pi',
      perfTest: '/srv/board/onnxruntime_perf_test',
      remoteDir: '/srv/board/hurricane-ort',
      rounds: 2,
      repetitions: 10,
    };
    const h = await createPluginHarness(plugin, { env, options: { remote } });
    const a = h.adapter('arm-cpu-remote');
    expect((await a.healthCheck()).ready).toBe(true);
    const m = await a.measure(await a.prepare(tinyModel));
    expect(m.samplesMs).toHaveLength(2);
    expect(m.provenance.deviceFingerprint).toBe('pi@rpi5.local:22|threads=1');
    const calls = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(calls.find((c) => c[0] === 'scp')?.slice(1, 9)).toEqual([
      '-P',
      '22',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-r',
      '--',
    ]);
    // every destination follows `--`: nothing after it is read as an option
    for (const c of calls) expect(c.indexOf('--')).toBeLessThan(c.findIndex((a) => a.includes('rpi5.local')));
    expect(calls.filter((c) => c[0] === 'scp')).toHaveLength(2); // one up, one down
    const down = await createPluginHarness(plugin, { env, options: { remote: { ...remote, host: 'rpi4.local' } } });
    const r = await down.adapter('arm-cpu-remote').healthCheck();
    expect(r.checks[0]).toMatchObject({ name: 'board (ssh)', status: 'error' });
    expect(r.checks[0]?.detail).toMatch(/ssh: connect to host rpi4.local port 22: Connection refused .*ssh-copy-id pi@rpi4.local/);
    await expect(createPluginHarness(plugin, { options: { remote: { transport: 'ssh' } } })).rejects.toThrow(
      /host.*the ssh transport needs 'host'/,
    );
  }, 60_000);

  it("ssh host and user values starting with '-' are refused by the config, before ssh could read them as options (-oProxyCommand=…)", async () => {
    for (const bad of [{ host: '-oProxyCommand=touch /tmp/x' }, { host: 'rpi5.local', user: '-oProxyCommand=x' }]) {
      await expect(createPluginHarness(plugin, { options: { remote: { transport: 'ssh', ...bad } } })).rejects.toThrow(
        /not starting with '-'/,
      );
    }
  });

  it('a board without the tool: doctor names the path and how to build and push it', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'hurricane-board-'));
    const h = await createPluginHarness(plugin, { env: { ...boardEnv, FAKE_ADB_DEVICE_DIR: empty } });
    const r = await h.adapter('arm-cpu-remote').healthCheck();
    expect(r.ready).toBe(false);
    expect(r.checks.find((c) => c.name === 'onnxruntime_perf_test')).toMatchObject({
      status: 'missing',
      detail: expect.stringContaining('/data/local/tmp/onnxruntime_perf_test is not on 5LM0215C15000924'),
    });
    expect(r.checks.find((c) => c.name === 'onnxruntime_perf_test')?.fix).toMatch(
      /build\.sh --android.*'adb push' it to \/data\/local\/tmp\/onnxruntime_perf_test/,
    );
  });
});

describe('@hurricane/hw-arm-cpu', () => {
  it('reports the real ONNX Runtime version and the host CPU', async () => {
    const h = await createPluginHarness(plugin);
    const d = await h.adapter('arm-cpu').describe();
    const ortPkg = (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default as { version: string };
    expect(d.runtimeVersion).toBe(ortPkg.version);
    expect(d.device).toContain(`${os.cpus().length} cores`);
  });

  it('measures a batch of models interleaved, with provenance and settings', async () => {
    const big = path.join(work, 'big.onnx');
    exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_7_6_SE', output: big, seed: 1 });
    const h = await createPluginHarness(plugin);
    const a = h.adapter('arm-cpu');
    const ms = await a.measureBatch?.([await a.prepare(tinyModel), await a.prepare({ ...tinyModel, path: big })]);
    expect(ms).toHaveLength(2);
    const [small, large] = ms ?? [];
    expect(large?.medianMs).toBeGreaterThan(small?.medianMs ?? Number.POSITIVE_INFINITY);
    expect(small?.provenance.settings).toMatchObject({ threads: 1 });
    expect(small?.provenance.deviceFingerprint).toContain('threads=1');
    // The protocol's floor and stopping rule (docs/adapters/arm-cpu.md): at least 10 rounds of 3
    // timed samples, each of at least one call; it stops once the median is known within 2 %, or
    // after 30 rounds.
    for (const m of [small, large]) {
      const rounds = Number(m?.provenance.settings.rounds);
      expect(rounds).toBeGreaterThanOrEqual(10);
      expect(rounds).toBeLessThanOrEqual(30);
      expect(m?.samplesMs).toHaveLength(3 * rounds);
      expect(m?.runs).toBeGreaterThanOrEqual(3 * rounds);
      // (2 % of the median of round medians, which sits within a few % of the samples' median.)
      if (rounds < 30) expect(m?.uncertaintyMs).toBeLessThanOrEqual(0.025 * (m?.medianMs ?? 0));
    }
  });

  it('armCpu.graphOptimization is another device kind: its own fingerprint (unchanged for the default level) and its level in the provenance', async () => {
    const all = await (await createPluginHarness(plugin)).adapter('arm-cpu').describe();
    expect(all.deviceFingerprint).toMatch(/\|threads=1$/);
    const a = (await createPluginHarness(plugin, { options: { graphOptimization: 'disabled' } })).adapter('arm-cpu');
    expect((await a.describe()).deviceFingerprint).toBe(`${all.deviceFingerprint}|opt=disabled`);
    const [m] = (await a.measureBatch?.([await a.prepare(tinyModel)])) ?? [];
    expect(m?.provenance.settings).toMatchObject({ threads: 1, graphOptimization: 'disabled' });
  });

  it('records each session’s value per round beside the fastest; armCpu.sessions and minSessions set how many sessions', async () => {
    const h = await createPluginHarness(plugin, { options: { sessions: 2 } });
    const a = h.adapter('arm-cpu');
    const model = await a.prepare(tinyModel);
    for (const [options, sessions] of [
      [{}, 2],
      [{ minSessions: 4 }, 4],
    ] as const) {
      const [m] = (await a.measureBatch?.([model], options)) ?? [];
      expect(m?.provenance.settings.sessions).toBe(sessions);
      const perSession = m?.rounds?.sessions ?? [];
      expect(perSession).toHaveLength(sessions);
      // round by round, the stored value is the fastest session's
      m?.rounds?.ms.forEach((v, r) => {
        expect(v).toBe(Math.min(...perSession.map((s) => s[r] as number)));
      });
    }
  });

  it('names a model ONNX Runtime cannot load when it is measured', async () => {
    const bad = path.join(work, 'bad.onnx');
    (await import('node:fs')).writeFileSync(bad, 'not onnx');
    const h = await createPluginHarness(plugin);
    const adapter = h.adapter('arm-cpu');
    await expect(adapter.prepare({ ...tinyModel, path: bad }).then((m) => adapter.measure(m))).rejects.toThrow(
      /^arm-cpu: ONNX Runtime cannot load .*bad\.onnx: /,
    );
  });

  it('warns when asked for more threads than cores', async () => {
    const h = await createPluginHarness(plugin, { options: { threads: os.cpus().length + 1 } });
    const r = await h.adapter('arm-cpu').healthCheck();
    expect(r.checks.find((c) => c.name === 'threads')).toMatchObject({ status: 'warn' });
  });
});

describe('@hurricane/hw-arm-cpu errors', () => {
  it('wraps an ONNX Runtime run failure (wrong input shape) into one line naming the model', async () => {
    const h = await createPluginHarness(plugin);
    const a = h.adapter('arm-cpu');
    const prepared = await a.prepare(tinyModel);
    await expect(a.measure({ ...prepared, source: { ...prepared.source, inputShape: [1, 3, 4, 4] } })).rejects.toThrow(
      /^arm-cpu: ONNX Runtime failed running .*tiny\.onnx: /,
    );
  });
});

describe('arm-cpu: models from another host (farm jobs) are checked in a child process', () => {
  const options = (runtimeModule: string) => armCpuOptionsSchema.parse({ runtimeModule });
  it('a model that crashes ONNX Runtime is refused with one line, this process lives on, and the next model is checked by a new child', async () => {
    const crashing = new URL('./fixtures/crashing-ort.mjs', import.meta.url).href;
    const adapter = new ArmCpuAdapter(options(crashing));
    const crafted = path.join(work, 'crash.onnx');
    copyFileSync(tiny, crafted);
    await expect(adapter.prepare({ ...tinyModel, path: crafted }, { workDir: work, untrusted: true })).rejects.toThrow(
      /^arm-cpu: model .*crash\.onnx is refused: ONNX Runtime crashed on it \(SIGSEGV\); checked in a child process because it came from another host$/,
    );
    await expect(adapter.prepare(tinyModel, { workDir: work, untrusted: true })).resolves.toMatchObject({ artifactPath: tiny });
  });
  it('a model ONNX Runtime cannot run is refused with its error; a good one passes the check', async () => {
    const junk = path.join(work, 'junk.onnx');
    writeFileSync(junk, 'not a protobuf');
    const adapter = new ArmCpuAdapter(options('onnxruntime-node'));
    await expect(adapter.prepare({ ...tinyModel, path: junk }, { workDir: work, untrusted: true })).rejects.toThrow(
      /^arm-cpu: model .*junk\.onnx is refused: ONNX Runtime refused it \(.+\); checked in a child process/,
    );
    await expect(adapter.prepare(tinyModel, { workDir: work, untrusted: true })).resolves.toMatchObject({ artifactPath: tiny });
  });
});

describe('arm-cpu: one measurement on the host CPU at a time, across processes', () => {
  it('while another process holds the host-cpu lock, a measurement waits for it (here: refused after its 1 s timeout) instead of sharing the cores', async () => {
    const env = { HURRICANE_LOCK_DIR: mkdtempSync(path.join(os.tmpdir(), 'hurricane-cpu-lock-')) };
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { withDeviceLock } = await import(${JSON.stringify(import.meta.resolve('@hurricane/core/adapter-kit'))});
         await withDeviceLock(${JSON.stringify(env)}, 'host-cpu', async () => { console.log('holding'); setInterval(() => {}, 1000); await new Promise(() => {}); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await textOf(holder.stdout).until(/holding/, 30_000);
      const adapter = new ArmCpuAdapter(armCpuOptionsSchema.parse({}), {}, env);
      const prepared = await adapter.prepare(tinyModel);
      await expect(adapter.measure(prepared, { timeoutMs: 1000 })).rejects.toThrow(
        /^another Hurricane process is measuring on host-cpu \(lock .*host-cpu\.lock\); wait for it to finish or stop it$/,
      );
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
