import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, pathWith } from '../../../test/helpers.js';
import plugin from '../src/index.js';

describeHardwarePlugin(plugin, {
  adapterIds: ['openvino'],
  // Measurement arrives with the vendor-adapter issue; until then prepare/measure say so (UnsupportedError).
  measuresNot: ['openvino'],
  missing: { env: { PATH: pathWith() } },
  ready: { env: { PATH: pathWith(FAKE_BIN) } },
});

describe('@hurricane/hw-openvino', () => {
  it('describes the configured device', async () => {
    const h = await createPluginHarness(plugin, { env: { PATH: pathWith(FAKE_BIN) }, options: { device: 'GPU' } });
    expect(h.adapter('openvino').description).toBe('Intel OpenVINO benchmark_app on device GPU');
    expect(await h.adapter('openvino').describe()).toMatchObject({ device: 'GPU', runtime: 'Intel OpenVINO' });
  });

  it('warns that MYRIAD needs OpenVINO 2022.3 or older', async () => {
    const h = await createPluginHarness(plugin, { env: { PATH: pathWith(FAKE_BIN) }, options: { device: 'MYRIAD' } });
    const r = await h.adapter('openvino').healthCheck();
    expect(r.ready).toBe(true);
    expect(r.checks.find((c) => c.name === 'device')).toMatchObject({ status: 'warn' });
    expect(r.checks.find((c) => c.name === 'device')?.detail).toMatch(/2022\.3 LTS or older/);
  });

  it('rejects an unknown device name and a pinned converter that is missing', async () => {
    await expect(createPluginHarness(plugin, { options: { device: 'myriad' } })).rejects.toThrow(
      /'openvino.device': .*OpenVINO device name/,
    );
    const h = await createPluginHarness(plugin, { env: { PATH: pathWith(FAKE_BIN) }, options: { converter: 'mo' } });
    const r = await h.adapter('openvino').healthCheck();
    expect(r.checks.find((c) => c.name === 'converter')).toMatchObject({ status: 'missing' });
  });
});
