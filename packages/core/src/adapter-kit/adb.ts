/** A device line of `adb devices` / `adb devices -l`. */
export interface AdbDevice {
  /** Serial number (`-s` argument). */
  readonly serial: string;
  /** `device` (usable), `unauthorized`, `offline`, `no permissions…`, `bootloader`, `recovery`, `sideload`, `host`. */
  readonly state: string;
  /** `key:value` pairs of `-l` (product, model, device, usb, transport_id). */
  readonly properties: Readonly<Record<string, string>>;
}

const HEADER = /^List of devices attached$/;
const DEVICE_LINE = /^(\S+)\s+(device|unauthorized|offline|no permissions.*|bootloader|recovery|sideload|host)(?:\s+(.*))?$/;

/**
 * Parses the output of `adb devices [-l]` (any adb version): ignores daemon chatter before the
 * header, accepts TAB or padded separators, `\r\n` line ends and trailing spaces.
 * Throws when the header line is missing: the output is not adb's.
 */
export function parseAdbDevices(stdout: string): AdbDevice[] {
  const lines = stdout.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  const start = lines.findIndex((l) => HEADER.test(l));
  if (start < 0) throw new Error("adb output has no 'List of devices attached' line");
  const devices: AdbDevice[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '') continue;
    const m = DEVICE_LINE.exec(line);
    if (!m) continue;
    const [, serial = '', rawState = '', tail = ''] = m;
    let state = rawState;
    const properties: Record<string, string> = {};
    if (state.startsWith('no permissions')) state = 'no permissions';
    else {
      for (const pair of tail.split(/\s+/)) {
        const i = pair.indexOf(':');
        if (i > 0) properties[pair.slice(0, i)] = pair.slice(i + 1);
      }
    }
    devices.push({ serial, state, properties });
  }
  return devices;
}

/** The fix for a device that adb lists but cannot use, or `null` when the state is usable. */
export function adbStateFix(device: AdbDevice): string | null {
  switch (device.state) {
    case 'device':
      return null;
    case 'unauthorized':
      return `unlock ${device.serial} and accept the "Allow USB debugging" dialog, then run 'adb devices' again`;
    case 'offline':
      return `reconnect ${device.serial} (or run 'adb kill-server && adb start-server')`;
    case 'no permissions':
      return "add a udev rule for the device (Debian: 'apt-get install android-sdk-platform-tools-common') and replug it";
    default:
      return `reboot ${device.serial} into Android (it is in ${device.state} mode)`;
  }
}
