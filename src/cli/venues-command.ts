// `livegate venues`: what livegate can trade on, and which venues cancel a dead engine's orders themselves.

import type { Command } from 'commander';
import { EXIT_OK } from './exit-codes.js';

interface VenuesOptions {
  readonly json?: boolean;
  readonly deadMan?: boolean;
}

export function registerVenuesCommand(program: Command): void {
  program
    .command('venues')
    .description(
      'list the venues livegate can trade on (ccxt exchanges, the WebSocket gateway, FIX 4.4) and what each supports',
    )
    .option('--json', 'print as JSON')
    .option('--dead-man', 'only venues with their own dead-man switch (cancel-all-after)')
    .action(async (options: VenuesOptions) => {
      process.exitCode = await listVenues(options);
    });
}

async function listVenues(options: VenuesOptions): Promise<number> {
  // ccxt is large: only this command and a venue run load it.
  const { supportedVenues } = await import('../adapters/ccxt/venue-catalog.js');
  const gateway = {
    id: 'websocket',
    name: 'WebSocket gateway (MT5 bridges, in-house gateways; docs/gateway-protocol.md)',
    deadMan: false,
    sandbox: false,
    orderTypes: ['market', 'limit'] as const,
    brokerReady: true,
  };
  const fix = {
    id: 'fix',
    name: 'FIX 4.4 venue (optional jspurefix; cancel-on-disconnect where the venue offers it; docs/trading-for-real.md)',
    deadMan: false,
    sandbox: false,
    orderTypes: ['market', 'limit'] as const,
    brokerReady: true,
  };
  const venues = [gateway, fix, ...supportedVenues()].filter(
    (venue) => options.deadMan !== true || venue.deadMan,
  );
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(venues, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines = [
    `${'venue'.padEnd(18)}${'dead-man'.padEnd(10)}${'sandbox'.padEnd(9)}${'orders'.padEnd(14)}${'broker'.padEnd(8)}name`,
  ];
  for (const venue of venues) {
    lines.push(
      `${venue.id.padEnd(18)}${(venue.deadMan ? 'yes' : 'no').padEnd(10)}${(venue.sandbox ? 'yes' : 'no').padEnd(9)}${venue.orderTypes.join(',').padEnd(14)}${(venue.brokerReady ? 'yes' : 'no').padEnd(8)}${venue.name}`,
    );
  }
  lines.push(
    '',
    'dead-man: the venue cancels every order itself when livegate stops refreshing it (armed on start,',
    'refreshed with each heartbeat). Without it, a hung or killed engine leaves its orders resting.',
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT_OK;
}
