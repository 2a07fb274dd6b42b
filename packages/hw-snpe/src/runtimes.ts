/** The SNPE runtimes Hurricane targets, with the snpe-net-run flag that selects each. */
export const SNPE_RUNTIMES = {
  dsp: { flag: '--use_dsp', label: 'Hexagon DSP / HTP' },
  gpu: { flag: '--use_gpu', label: 'Adreno GPU' },
  cpu: { flag: null, label: 'Snapdragon (Kryo) CPU' },
} as const;
export type SnpeRuntime = keyof typeof SNPE_RUNTIMES;
