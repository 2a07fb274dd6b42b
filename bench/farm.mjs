#!/usr/bin/env node
// npm run bench:farm — the device farm's scaling: 1, 2, 4 and 8 agents (separate `hurricane agent`
// processes) with simulated devices of a fixed device time D measure the same 256 models (every
// operator of the `mnist` preset) for one requester, through a real redis-server on this machine.
// Per row: wall time, throughput, scaling against the ideal (ceil(256 / N) × D) and against
// N × the one-agent throughput, and the queue overhead per job: (N × wall − 256 × D) / 256, the
// time an agent spends per job not measuring (fetching the job and the model, reporting back).
// Goals: ≥ 90 % of ideal scaling at 8 agents, ≤ 5 ms overhead per job. A last row measures the
// same models on this host's real CPU (hw-arm-cpu) through one agent, against measuring them in
// process without the farm. Agents start with empty work folders (every model is downloaded).
// The load rows: --load N small jobs (the 256 models under N / 256 keys each, device time 2 ms)
// through 8 agents, once undisturbed and once with one agent SIGKILLed and restarted every
// --kill-every seconds (seeded). Reported: throughput held, and measurements lost (a job without
// a result), stored twice (a result handed over twice) or measured twice (the devices' log).
// Usage: node bench/farm.mjs [--device-ms 100] [--agents 1,2,4,8] [--no-real] [--load 10000] [--kill-every 3] [--json]
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, createSession, preset } from '@hurricane/core';
import { exportOperator } from '@hurricane/core/onnx';
import { distinctContexts } from '@hurricane/core/profile';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const json = args.includes('--json');
const deviceMs = Number(opt('--device-ms', '100'));
const counts = opt('--agents', '1,2,4,8').split(',').filter(Boolean).map(Number);
const loadJobs = Number(opt('--load', '10000'));
const killEvery = Number(opt('--kill-every', '3'));
const log = (s) => process.stderr.write(`${s}\n`);
const repo = fileURLToPath(new URL('..', import.meta.url));
const cli = path.join(repo, 'packages/core/bin/hurricane.js');
const simPlugin = path.join(repo, 'test/fixtures/farm/sim-device.mjs');
const root = mkdtempSync(path.join(os.tmpdir(), 'hurricane-bench-farm-'));

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1', () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

/** A project folder with a config (and @hurricane packages linked). */
function project(name, config) {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'node_modules', '@hurricane'), { recursive: true });
  for (const p of ['core', 'hw-arm-cpu'])
    symlinkSync(path.join(repo, 'packages', p), path.join(dir, 'node_modules', '@hurricane', p), 'dir');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  writeFileSync(path.join(dir, 'hurricane.config.json'), JSON.stringify({ preset: 'mnist', ...config }));
  return dir;
}

/** Starts an agent process in `dir` and resolves when it serves. */
function agent(dir, url) {
  const p = spawn(process.execPath, [cli, 'agent', '--farm', url, '--grace', '1'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => p.on('exit', r));
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (/ready with \d+ device/.test(err)) {
        clearInterval(t);
        resolve({
          stop: () => {
            p.kill('SIGTERM');
            return exited;
          },
          kill: () => {
            p.kill('SIGKILL');
            return exited;
          },
        });
      } else if (p.exitCode !== null) {
        clearInterval(t);
        reject(new Error(`agent failed:\n${err}`));
      }
    }, 20);
  });
}

/** The 256 operator models of the mnist preset, exported once. */
function models(dir) {
  const backbone = preset('mnist');
  const out = [];
  for (const ctx of distinctContexts(backbone)) {
    for (const op of backbone.operators) {
      const file = path.join(dir, 'models', ctx.contextId, `${op}.onnx`);
      exportOperator({ backbone, layer: ctx.layer, operator: op, output: file, seed: 0 });
      out.push({ path: file, inputName: 'input', inputShape: [1, ctx.cin, ctx.h, ctx.w], outputName: 'output' });
    }
  }
  return out;
}

/** One requester measuring every model through `adapter` (farm or local); wall ms and per-agent counts. */
async function measureAll(adapter, onnx, tag) {
  await adapter.describe(); // connected and the device chosen before the clock starts
  const prepared = [];
  for (const m of onnx) prepared.push(await adapter.prepare(m, { workDir: root }));
  const perAgent = new Map();
  const medians = [];
  const t0 = performance.now();
  if (adapter.measureMany) {
    await adapter.measureMany(
      prepared.map((model, i) => ({ model, key: `${tag}:${i}` })),
      (i, m) => {
        medians[i] = m.medianMs;
        perAgent.set(m.provenance.agent?.id, (perAgent.get(m.provenance.agent?.id) ?? 0) + 1);
      },
    );
  } else for (const p of prepared) medians.push((await adapter.measure(p)).medianMs);
  return { wallMs: performance.now() - t0, perAgent: [...perAgent.values()], medians };
}

/** N jobs through 8 agents, with `killEveryS` > 0 one agent SIGKILLed and restarted that often; throughput and losses. */
async function loadRun(url, onnx, n, killEveryS, tag) {
  const logFile = path.join(root, `${tag}-measured.log`);
  const agentCfg = (i) =>
    project(`${tag}-agent-${i}-${Date.now()}`, {
      plugins: [simPlugin],
      hardware: 'sim',
      simDevice: { fixedMs: 2, fingerprint: `load-${tag}`, log: logFile },
      farm: { lockMs: 2000, stalledCheckMs: 500 },
    });
  const agents = await Promise.all(Array.from({ length: 8 }, (_, i) => agent(agentCfg(i), url)));
  const session = await createSession({
    cwd: project(`${tag}-req`, { plugins: [], hardware: 'sim', farm: { url, device: `load-${tag}` } }),
  });
  const adapter = session.adapter();
  await adapter.describe();
  const prepared = [];
  for (const m of onnx) prepared.push(await adapter.prepare(m, { workDir: root }));
  const jobs = Array.from({ length: n }, (_, i) => ({ model: prepared[i % prepared.length], key: `${tag}:${i}` }));
  const seen = new Uint8Array(n);
  let twice = 0;
  let kills = 0;
  let stopKilling = false;
  const rng = new Rng(22);
  const killer = (async () => {
    while (killEveryS > 0 && !stopKilling) {
      await new Promise((r) => setTimeout(r, killEveryS * 1000));
      if (stopKilling) break;
      const i = rng.int(0, agents.length - 1);
      await agents[i].kill();
      kills++;
      agents[i] = await agent(agentCfg(`${i}-r${kills}`), url);
    }
  })();
  const t0 = performance.now();
  try {
    await adapter.measureMany(jobs, (i) => {
      if (seen[i]) twice++;
      seen[i] = 1;
    });
  } finally {
    stopKilling = true;
  }
  const wallMs = performance.now() - t0;
  await killer;
  await session.dispose();
  await Promise.all(agents.map((a) => a.stop()));
  const measured = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean).length : 0;
  return {
    jobs: n,
    wallMs,
    jobsPerS: (n / wallMs) * 1000,
    kills,
    lost: n - seen.reduce((a, b) => a + b, 0),
    storedTwice: twice,
    measuredAgain: measured - n,
  };
}

const port = await freePort();
const url = `redis://127.0.0.1:${port}`;
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', root], {
  stdio: 'ignore',
});
await waitPort(port);
const rows = [];
try {
  const onnx = models(root);
  log(`${onnx.length} models, simulated device time ${deviceMs} ms, redis-server on ${port}`);
  for (const n of counts) {
    const agents = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        agent(
          project(`sim-${n}-${i}`, { plugins: [simPlugin], hardware: 'sim', simDevice: { fixedMs: deviceMs, fingerprint: `bench-${n}` } }),
          url,
        ),
      ),
    );
    const session = await createSession({
      cwd: project(`req-${n}`, { plugins: [], hardware: 'sim', farm: { url, device: `bench-${n}` } }),
    });
    const r = await measureAll(session.adapter(), onnx, `sim-${n}`);
    await session.dispose();
    await Promise.all(agents.map((a) => a.stop()));
    const idealMs = Math.ceil(onnx.length / n) * deviceMs;
    rows.push({
      agents: n,
      wallMs: r.wallMs,
      perAgent: r.perAgent,
      idealMs,
      overheadMs: (n * r.wallMs - onnx.length * deviceMs) / onnx.length,
    });
    log(
      `${n} agent(s): ${(r.wallMs / 1000).toFixed(2)} s (ideal ${(idealMs / 1000).toFixed(2)} s), jobs per agent ${r.perAgent.join('/')}`,
    );
  }
  let real = null;
  if (!args.includes('--no-real')) {
    const cfg = { plugins: ['@hurricane/hw-arm-cpu'], hardware: 'arm-cpu' };
    const local = await createSession({ cwd: project('real-local', cfg) });
    const direct = await measureAll(local.adapter(), onnx, 'local');
    await local.dispose();
    // the host CPU is the device: no prefetch, so no transfer shares the CPU with a measurement
    const a = await agent(project('real-agent', { ...cfg, farm: { prefetch: false } }), url);
    const farmed = await createSession({ cwd: project('real-req', { ...cfg, plugins: [], farm: { url } }) });
    const viaFarm = await measureAll(farmed.adapter(), onnx, 'real');
    await farmed.dispose();
    await a.stop();
    const ratios = viaFarm.medians.map((m, i) => m / direct.medians[i]).sort((x, y) => x - y);
    const q = (p) => ratios[Math.min(ratios.length - 1, Math.floor(p * ratios.length))];
    real = {
      localMs: direct.wallMs,
      farmMs: viaFarm.wallMs,
      overheadMs: (viaFarm.wallMs - direct.wallMs) / onnx.length,
      ratio: { p10: q(0.1), median: q(0.5), p90: q(0.9) },
    };
    log(`arm-cpu: in process ${(direct.wallMs / 1000).toFixed(2)} s, through one agent ${(viaFarm.wallMs / 1000).toFixed(2)} s`);
  }
  const load = [];
  if (loadJobs > 0) {
    for (const [tag, every] of [
      ['calm', 0],
      ['kills', killEvery],
    ]) {
      const r = await loadRun(url, onnx, loadJobs, every, tag);
      load.push({ tag, ...r });
      log(
        `load ${tag}: ${r.jobs} jobs in ${(r.wallMs / 1000).toFixed(1)} s (${r.jobsPerS.toFixed(1)}/s), ${r.kills} agent kills, lost ${r.lost}, stored twice ${r.storedTwice}, measured again ${r.measuredAgain}`,
      );
    }
  }
  const one = rows.find((r) => r.agents === 1);
  const table =
    rows.length === 0
      ? []
      : [
          `| agents | wall (s) | jobs/s | ideal (s) | of ideal | vs N × 1 agent | overhead / job (ms) | jobs per agent |`,
          `|---|---|---|---|---|---|---|---|`,
          ...rows.map(
            (r) =>
              `| ${r.agents} | ${(r.wallMs / 1000).toFixed(2)} | ${((onnx.length / r.wallMs) * 1000).toFixed(1)} | ${(r.idealMs / 1000).toFixed(2)} | ${((r.idealMs / r.wallMs) * 100).toFixed(1)} % | ${one ? `${((one.wallMs / r.wallMs / r.agents) * 100).toFixed(1)} %` : '–'} | ${r.overheadMs.toFixed(2)} | ${r.perAgent.join('/')} |`,
          ),
        ];
  if (real) {
    table.push(
      ...(rows.length ? [''] : []),
      `| real arm-cpu (${os.cpus()[0]?.model.trim()}) | wall (s) | overhead / job (ms) | median latency, farm ÷ in process (p10 / median / p90 over the 256 models) |`,
      '|---|---|---|---|',
      `| in process, no farm | ${(real.localMs / 1000).toFixed(2)} | – | – |`,
      `| through 1 agent | ${(real.farmMs / 1000).toFixed(2)} | ${real.overheadMs.toFixed(2)} | ${real.ratio.p10.toFixed(3)} / ${real.ratio.median.toFixed(3)} / ${real.ratio.p90.toFixed(3)} |`,
    );
  }
  if (load.length > 0) {
    const calm = load.find((l) => l.tag === 'calm');
    table.push(
      '',
      `| load: ${loadJobs} jobs, 8 agents, 2 ms device time | wall (s) | jobs/s | held vs undisturbed | agent kills | lost | stored twice | measured again |`,
      '|---|---|---|---|---|---|---|---|',
      ...load.map(
        (l) =>
          `| ${l.tag === 'calm' ? 'undisturbed' : `one agent SIGKILLed + restarted every ${killEvery} s`} | ${(l.wallMs / 1000).toFixed(1)} | ${l.jobsPerS.toFixed(1)} | ${calm ? `${((l.jobsPerS / calm.jobsPerS) * 100).toFixed(1)} %` : '–'} | ${l.kills} | ${l.lost} | ${l.storedTwice} | ${l.measuredAgain} |`,
      ),
    );
  }
  process.stdout.write(
    json ? `${JSON.stringify({ deviceMs, models: onnx.length, rows, real, load }, null, 2)}\n` : `${table.join('\n')}\n`,
  );
} finally {
  redis.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
