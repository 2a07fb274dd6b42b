import os from 'node:os';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

describeHardwarePlugin(plugin, {
  adapterIds: ['arm-cpu'],
  missing: { options: { runtimeModule: 'onnxruntime-node-not-installed' } },
  ready: { options: {} },
});

describe('@hurricane/hw-arm-cpu', () => {
  it('reports the real ONNX Runtime version and the host CPU', async () => {
    const h = await createPluginHarness(plugin);
    const d = await h.adapter('arm-cpu').describe();
    const ortPkg = (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default as { version: string };
    expect(d.runtimeVersion).toBe(ortPkg.version);
    expect(d.device).toContain(`${os.cpus().length} cores`);
  });

  it('warns when asked for more threads than cores', async () => {
    const h = await createPluginHarness(plugin, { options: { threads: os.cpus().length + 1 } });
    const r = await h.adapter('arm-cpu').healthCheck();
    expect(r.checks.find((c) => c.name === 'threads')).toMatchObject({ status: 'warn' });
  });
});
