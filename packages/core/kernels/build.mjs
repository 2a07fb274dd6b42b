#!/usr/bin/env node
// npm run build:kernels — compiles hurricane-kernels.c into hurricane-kernels.wasm (shipped in the
// npm package, so users need no compiler). Needs Debian's clang and lld: apt-get install clang lld.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const out = here('./hurricane-kernels.wasm');
const clang = process.env.CLANG ?? 'clang';
try {
  execFileSync(
    clang,
    [
      '--target=wasm32',
      '-O3',
      // V8 11 (Node 20) miscompiles some of clang's unrolled SIMD loops once TurboFan optimises them
      // (wrong channel sums; Liftoff is right): the kernel tests run under --no-liftoff to catch it.
      '-fno-unroll-loops',
      '-msimd128',
      '-mmutable-globals',
      '-nostdlib',
      '-ffreestanding',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-Wl,--no-entry',
      '-Wl,--import-memory',
      '-Wl,--export=__stack_pointer',
      '-Wl,-z,stack-size=8192',
      '-Wl,--strip-all',
      '-o',
      out,
      here('./hurricane-kernels.c'),
    ],
    { stdio: 'inherit', timeout: 120_000 },
  );
} catch (e) {
  const why = e.code === 'ENOENT' ? `'${clang}' not found; install it with 'apt-get install clang lld'` : e.message.split('\n')[0];
  process.stderr.write(`build:kernels failed: ${why}\n`);
  process.exit(1);
}

// The module shares the TF.js wasm backend's heap: it must import that memory and must not carry a
// data segment (instantiating it would overwrite the backend's heap).
const bytes = readFileSync(out);
const mod = new WebAssembly.Module(bytes);
const imports = WebAssembly.Module.imports(mod);
if (imports.length !== 1 || imports[0].kind !== 'memory') throw new Error(`unexpected imports ${JSON.stringify(imports)}`);
let off = 8;
while (off < bytes.length) {
  const id = bytes[off++];
  let size = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[off++];
    size |= (b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  if (id === 11) throw new Error('hurricane-kernels.wasm has a data section; the kernels must not use static data');
  off += size;
}
process.stdout.write(`built ${out} (${bytes.length} bytes)\n`);
