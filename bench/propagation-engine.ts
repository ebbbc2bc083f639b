// Child process for the propagation benchmark: an engine busy on an unpaced feed, on a given state dir.

import { PaperBroker } from '../src/adapters/brokers/paper-broker.js';
import { SyntheticMarketFeed } from '../src/adapters/feeds/synthetic-market-feed.js';
import { FileKillSwitchStore } from '../src/adapters/stores/file-kill-switch-store.js';
import { LiveEngine } from '../src/engine/live-engine.js';
import { KillSwitch } from '../src/killswitch/kill-switch.js';
import { PeriodicOrderStrategy } from '../src/strategies/periodic-order-strategy.js';

const stateDirectory = process.argv[2];
const engineId = process.argv[3] ?? `bench-engine-${process.pid}`;
if (stateDirectory === undefined) {
  process.stderr.write('usage: propagation-engine <state-dir> [engine-id]\n');
  process.exit(2);
}
const store = new FileKillSwitchStore({ stateDirectory });
const killSwitch = await KillSwitch.open(store, { actor: engineId });
const engine = new LiveEngine({
  killSwitch,
  strategy: new PeriodicOrderStrategy({ every: 100 }),
  broker: new PaperBroker(),
  engineId,
});
process.on('SIGTERM', () => engine.stop());
await engine.run(new SyntheticMarketFeed({ count: 0, rate: 0, symbols: ['EURUSD', 'GBPUSD'] }));
killSwitch.close();
await store.close();
