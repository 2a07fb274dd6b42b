import path from 'node:path';
import { outputLines } from './benchmark-app.js';
import { outputExcerpt } from '@hurricane/core/adapter-kit';

/** Which converter runs: `ovc` (2023.1+) or the legacy Model Optimizer `mo`. */
export type Converter = 'ovc' | 'mo';

/** Options of {@link buildConvertArgs}. */
export interface ConvertArgs {
  readonly onnx: string;
  /** The `.xml` to write (its `.bin` goes beside it). */
  readonly xml: string;
  readonly inputName: string;
  readonly inputShape: readonly number[];
  /** Compress weights to FP16 (MYRIAD and NPU need it; CPU and GPU keep FP32). */
  readonly fp16: boolean;
}

/** The argv (after the executable) of an ONNX → IR conversion (vendor-tools.md §4.1). */
export function buildConvertArgs(tool: Converter, o: ConvertArgs): string[] {
  if (tool === 'ovc') {
    return [
      o.onnx,
      '--output_model',
      o.xml,
      '--input',
      `${o.inputName}[${o.inputShape.join(',')}]`,
      `--compress_to_fp16=${o.fp16 ? 'True' : 'False'}`,
    ];
  }
  return [
    '--input_model',
    o.onnx,
    '--output_dir',
    path.dirname(o.xml),
    '--model_name',
    path.basename(o.xml, '.xml'),
    '--input',
    o.inputName,
    '--input_shape',
    `[${o.inputShape.join(',')}]`,
    `--compress_to_fp16=${o.fp16 ? 'True' : 'False'}`,
  ];
}

/**
 * The IR files a successful conversion reports: exit 0 and both `[ SUCCESS ] XML file:` and
 * `[ SUCCESS ] BIN file:` lines. Anything else throws, quoting the converter's error lines.
 */
export function parseConvertOutput(tool: Converter, stdout: string, stderr: string, exitCode: number | null): { xml: string; bin: string } {
  const lines = outputLines(`${stdout}\n${stderr}`);
  const pick = (kind: string) => lines.map((l) => new RegExp(`^\\[ SUCCESS \\] ${kind} file: (.+)$`).exec(l)?.[1]).find(Boolean);
  const xml = pick('XML');
  const bin = pick('BIN');
  if (exitCode === 0 && xml && bin) return { xml, bin };
  const text = lines.join('\n');
  const shown =
    outputExcerpt(text, { match: /^\[ (ERROR|FRAMEWORK ERROR) \]|Error|error:/, from: 'start', lines: 4 }) ||
    outputExcerpt(text, { lines: 4 });
  throw new Error(`${tool} could not convert the model (exit ${exitCode}): ${shown || 'no output'}`);
}
