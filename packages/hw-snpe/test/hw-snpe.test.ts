import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, FAKE_SNPE_ROOT, REPO, pathWith } from '../../../test/helpers.js';
import plugin, { parseSnpeVersion } from '../src/index.js';

const ready = { PATH: pathWith(FAKE_BIN), SNPE_ROOT: FAKE_SNPE_ROOT, FAKE_ADB_STATE: 'device' };

describeHardwarePlugin(plugin, {
  adapterIds: ['snpe-dsp', 'snpe-gpu', 'snpe-cpu'],
  // Measurement arrives with the vendor-adapter issue; until then prepare/measure say so (UnsupportedError).
  measuresNot: ['snpe-dsp', 'snpe-gpu', 'snpe-cpu'],
  missing: { env: { PATH: pathWith() } },
  ready: { env: ready },
});

describe('@hurricane/hw-snpe health check', () => {
  const report = async (env: Record<string, string>, options: unknown = {}) => {
    const h = await createPluginHarness(plugin, { env, options });
    const r = await h.adapter('snpe-dsp').healthCheck();
    await h.dispose();
    return Object.fromEntries(r.checks.map((c) => [c.name, c]));
  };

  it('finds the host tools under $SNPE_ROOT/bin/x86_64-linux-clang and reads the version', async () => {
    const c = await report(ready);
    expect(c['SNPE SDK']).toMatchObject({ status: 'ok', detail: `${FAKE_SNPE_ROOT} (from SNPE_ROOT)` });
    expect(c['snpe-net-run']).toMatchObject({
      status: 'ok',
      detail: `${FAKE_SNPE_ROOT}/bin/x86_64-linux-clang/snpe-net-run, version 2.14.2.230905160328_61726`,
    });
  });

  it('prefers snpe.sdkRoot over SNPE_ROOT and reports a root that is not a folder', async () => {
    const c = await report({ ...ready, SNPE_ROOT: '/nonexistent' }, { sdkRoot: FAKE_SNPE_ROOT });
    expect(c['SNPE SDK']).toMatchObject({ status: 'ok', detail: `${FAKE_SNPE_ROOT} (from 'snpe.sdkRoot')` });
    const bad = await report({ ...ready, SNPE_ROOT: '/nonexistent' });
    expect(bad['SNPE SDK']).toMatchObject({ status: 'error', detail: 'SNPE_ROOT points to /nonexistent, which is not a folder' });
  });

  it('passes the device state through: unauthorized, none, two without a serial', async () => {
    expect((await report({ ...ready, FAKE_ADB_STATE: 'unauthorized' }))['device (adb)']?.status).toBe('error');
    expect((await report({ ...ready, FAKE_ADB_STATE: 'none' }))['device (adb)']?.status).toBe('missing');
    expect((await report({ ...ready, FAKE_ADB_STATE: 'two' }))['device (adb)']?.fix).toBe(
      "set 'snpe.serial' in the config to the serial of the one to measure",
    );
    expect((await report({ ...ready, FAKE_ADB_STATE: 'two' }, { serial: '3a7c328c' }))['device (adb)']?.status).toBe('ok');
  });

  it('says plainly that measurement is not in this release', async () => {
    const h = await createPluginHarness(plugin, { env: ready });
    await expect(h.adapter('snpe-dsp').measure({} as never)).rejects.toThrow(
      'snpe-dsp: measuring latency is not available in @hurricane/hw-snpe 0.1.0 (this release checks the SDK and device only); measure on the host with --hardware arm-cpu meanwhile',
    );
  });
});

describe('parseSnpeVersion', () => {
  it('reads the banner of recorded snpe-net-run output', () => {
    const text = readFileSync(path.join(REPO, 'test/fixtures/vendor-outputs/snpe-net-run-stdout-2.14.txt'), 'utf8');
    expect(parseSnpeVersion(text.split('\n').slice(1).join('\n'))).toBe('2.14.2.230905160328_61726');
  });
  it('falls back to any dotted version and gives null when there is none', () => {
    expect(parseSnpeVersion('snpe-net-run version 1.54.2.2899\n')).toBe('1.54.2.2899');
    expect(parseSnpeVersion('command not found')).toBeNull();
  });
});
