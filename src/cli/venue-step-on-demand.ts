// The venue step for processes that reach it rarely (an engine's HTTP engage, the watchdog): its
// module and the venue clients load on first use, and it never rejects, so an engage that is
// already durable is never turned into an error by a venue step that could not even start.

import type { LivegateConfig } from '../config/schema.js';
import type { VenueStepOptions } from './venue-kill-step.js';
import type { VenueKillOutcome } from './venue-receipt-file.js';

export async function runVenueStepOnDemand(
  config: LivegateConfig,
  options: VenueStepOptions,
): Promise<VenueKillOutcome> {
  try {
    const { runVenueStep } = await import('./venue-kill-step.js');
    return await runVenueStep(config, options);
  } catch (error) {
    return {
      killWrittenAt: new Date(options.killWrittenAt).toISOString(),
      ok: false,
      receipts: [],
      skipped: `the venue step failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
