/**
 * Reads the SNPE version from tool output. snpe-net-run prints a banner `SNPE v2.14.2.230905160328_61726`
 * (recorded 2.14 console output); `--version` output itself is not recorded anywhere we could
 * check, so any `SNPE v<version>` line, else the first dotted version number, is accepted.
 */
export function parseSnpeVersion(output: string): string | null {
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    const banner = /^SNPE v(\d+\.\d+\.\d+\S*)/.exec(line);
    if (banner?.[1]) return banner[1];
  }
  const any = /\bv?(\d+\.\d+\.\d+(?:\.[\w]+)*)\b/.exec(output);
  return any?.[1] ?? null;
}
