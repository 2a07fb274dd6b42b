/** What the adapter needs from an ONNX Runtime module. */
export interface OrtModule {
  readonly env: { readonly versions?: Readonly<Record<string, string>> };
  readonly InferenceSession: unknown;
}

/** Imports the ONNX Runtime package; resolves to an Error (not a throw) when it cannot be loaded. */
export async function loadOrt(moduleName: string): Promise<OrtModule | Error> {
  try {
    const mod = (await import(moduleName)) as Partial<OrtModule> & { default?: Partial<OrtModule> };
    const ort = (mod.InferenceSession ? mod : mod.default) as Partial<OrtModule> | undefined;
    if (!ort?.InferenceSession || !ort.env) return new Error(`'${moduleName}' does not export ONNX Runtime's InferenceSession`);
    return ort as OrtModule;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** ONNX Runtime's version as the module reports it. */
export function ortVersion(ort: OrtModule): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}
