import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adbStateFix, parseAdbDevices } from '../src/adapter-kit/adb.js';
import { checkAdbDevice } from '../src/adapter-kit/checks.js';
import { ExecaToolRunner } from '../src/session/execa-tool-runner.js';
import { FAKE_BIN, REPO, pathWith } from '../../../test/helpers.js';

/** Blocks of a recorded output file (first line is its SOURCE header; `=== x ===` separates blocks). */
function blocks(file: string): Record<string, string> {
  const lines = readFileSync(path.join(REPO, 'test/fixtures/vendor-outputs', file), 'utf8')
    .split('\n')
    .slice(1);
  const out: Record<string, string[]> = { '': [] };
  let cur = '';
  for (const l of lines) {
    const m = /^=== (.*) ===$/.exec(l);
    if (m?.[1]) {
      cur = m[1];
      out[cur] = [];
    } else out[cur]?.push(l);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.join('\n')]));
}

describe('parseAdbDevices on recorded adb output', () => {
  const long = blocks('adb-devices-l.txt');
  const plain = blocks('adb-devices.txt');

  it('reads an authorized device with -l properties (Windows adb, CRLF-tolerant)', () => {
    const text = (long['(1) authorized'] ?? '').replace(/\n/g, '\r\n');
    expect(parseAdbDevices(text)).toEqual([
      {
        serial: '5LM0215C15000924',
        state: 'device',
        properties: { product: 'NXT-AL10', model: 'HUAWEI_NXT_AL10', device: 'HWNXT', transport_id: '1' },
      },
    ]);
  });

  it('reads an unauthorized device', () => {
    expect(parseAdbDevices(long['(2) unauthorized'] ?? '')).toEqual([
      { serial: '5LM0215C15000924', state: 'unauthorized', properties: { transport_id: '1' } },
    ]);
  });

  it('reads TAB-separated plain output, skipping annotations and daemon chatter', () => {
    expect(parseAdbDevices(plain['(A)'] ?? '')).toEqual([{ serial: '3a7c328c', state: 'device', properties: {} }]);
    expect(parseAdbDevices(plain['(B)'] ?? '')).toEqual([{ serial: 'emulator-5554', state: 'device', properties: {} }]);
  });

  it('reads a device without udev permissions', () => {
    const [d] = parseAdbDevices(plain['(C)'] ?? '');
    expect(d).toEqual({ serial: '????????????', state: 'no permissions', properties: {} });
    expect(d && adbStateFix(d)).toMatch(/udev/);
  });

  it('rejects output that is not adb devices output', () => {
    expect(() => parseAdbDevices(plain['(D)'] ?? '')).toThrow("adb output has no 'List of devices attached' line");
  });
});

describe('checkAdbDevice with the fake adb', () => {
  const runner = new ExecaToolRunner();
  const adb = path.join(FAKE_BIN, 'adb');
  const check = (state: string, serial?: string) =>
    checkAdbDevice(runner, adb, { env: { PATH: pathWith(FAKE_BIN), FAKE_ADB_STATE: state }, serial, serialKey: 'snpe.serial' });

  it('accepts the only connected device', async () => {
    const r = await check('device');
    expect(r.check).toEqual({ name: 'device (adb)', status: 'ok', detail: '5LM0215C15000924 HUAWEI_NXT_AL10' });
  });
  it('explains an unauthorized device', async () => {
    const r = await check('unauthorized');
    expect(r.check.status).toBe('error');
    expect(r.check.fix).toMatch(/Allow USB debugging/);
  });
  it('explains that nothing is connected', async () => {
    expect((await check('none')).check).toMatchObject({ status: 'missing', detail: 'no Android device is connected' });
  });
  it('asks for a serial when two devices are connected, and uses it when given', async () => {
    expect((await check('two')).check).toMatchObject({
      status: 'error',
      fix: "set 'snpe.serial' in the config to the serial of the one to measure",
    });
    expect((await check('two', '3a7c328c')).check).toMatchObject({ status: 'ok', detail: '3a7c328c 2210132C' });
    expect((await check('two', 'abc')).check).toMatchObject({
      status: 'missing',
      detail: "device 'abc' is not connected (connected: 5LM0215C15000924, 3a7c328c)",
    });
  });
  it('reports a failing adb server', async () => {
    expect((await check('broken')).check).toMatchObject({
      status: 'error',
      fix: 'restart the adb server: adb kill-server && adb start-server',
    });
  });
});
