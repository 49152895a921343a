/** Sweep: reads a page of due holdings from the due index (SweepReadInput → SweepReadOutput). Never a scan. */
import type { SweepReadInput, SweepReadOutput } from '../lib/core/contract';
import { withPowertools } from '../lib/runtime/handler';
import { defaultRuntime, type Runtime } from '../lib/runtime/runtime';
import { readDuePage, type SweepReadOptions } from '../lib/runtime/sweep';

export function makeHandler(getRuntime: () => Runtime = defaultRuntime, options: SweepReadOptions = {}) {
  return withPowertools<SweepReadInput, SweepReadOutput>(async (input) => readDuePage(getRuntime(), input, options), {
    transientErrors: true,
  });
}

export const handler = makeHandler();
