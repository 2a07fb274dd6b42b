import { readFileSync } from 'node:fs';
import { ExitCode, HurricaneError } from '../errors.js';
import { writeFileAtomicSync } from '../atomic-write.js';

/**
 * Weight files in the safetensors format (8-byte little-endian header length, a JSON header, then
 * raw little-endian float32 data), so trained Hurricane weights open in PyTorch/NumPy as well.
 * Tensors are stored in ONNX layout under their Hurricane parameter names.
 */
export interface WeightFile {
  readonly tensors: ReadonlyMap<string, { readonly shape: readonly number[]; readonly data: Float32Array }>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A weight file that cannot be read or does not fit. Exit code 2. */
export class WeightsError extends HurricaneError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.BadUsage });
  }
}

/** Writes a weight file atomically (see {@link writeFileAtomicSync}): a crash never leaves half a file. */
export function writeWeights(
  file: string,
  tensors: Iterable<readonly [string, { readonly shape: readonly number[]; readonly data: Float32Array }]>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'hurricane-weights', ...metadata } };
  const chunks: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) throw new Error(`tensor ${name}: shape [${t.shape}] needs ${expected} values, got ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
    chunks.push(t.data);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerBytes.length));
  writeFileAtomicSync(file, [len, headerBytes, ...chunks.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength))]);
}

/** Reads a weight file; every problem is a one-line {@link WeightsError} naming the file. */
export function readWeights(file: string): WeightFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (error) {
    throw new WeightsError(`weights file ${file} cannot be read: ${(error as Error).message}`);
  }
  const bad = (why: string) => new WeightsError(`weights file ${file} ${why}; it is not a complete Hurricane (safetensors) weight file`);
  if (buf.length < 8) throw bad('is shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.length - 8) throw bad(`announces a ${n}-byte header but has ${buf.length - 8} bytes after the length (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('has a header that is not JSON');
  }
  const data = buf.subarray(8 + n);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: string; shape?: number[]; data_offsets?: [number, number] };
    if (e.dtype !== 'F32') throw bad(`stores tensor ${name} as ${String(e.dtype)} (only F32 is supported)`);
    const [begin, end] = e.data_offsets ?? [-1, -1];
    const count = (e.shape ?? []).reduce((a, b) => a * b, 1);
    if (!(begin >= 0 && end <= data.length && end - begin === count * 4)) throw bad(`has tensor ${name} outside its data (truncated?)`);
    const copy = new Float32Array(count);
    new Uint8Array(copy.buffer).set(data.subarray(begin, end));
    tensors.set(name, { shape: e.shape ?? [], data: copy });
  }
  return { tensors, metadata };
}
