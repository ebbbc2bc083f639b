// Runs the reference dial-in gateway against a `livegate run` that listens (gateway.listen):
//   LIVEGATE_GATEWAY_TOKEN=... node dist/scripts/dial-in-gateway/main.js --url ws://127.0.0.1:9100
// It prints one JSON line a second (dial-ins, orders placed, open orders, positions, dead-man
// firings) and stops on SIGINT or SIGTERM. A paper account: nothing reaches a market.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReferenceGateway } from './reference-gateway.js';

const USAGE =
  'usage: LIVEGATE_GATEWAY_TOKEN=... node dist/scripts/dial-in-gateway/main.js --url ws://HOST:PORT [--name NAME] [--ca livegate-cert.pem]';

function main(): void {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      name: { type: 'string', default: 'reference-gateway' },
      ca: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const token = process.env.LIVEGATE_GATEWAY_TOKEN ?? '';
  const problems = [
    ...(values.url === undefined || !/^wss?:\/\/\S+$/.test(values.url)
      ? ['--url: required, ws://HOST:PORT or wss://HOST:PORT (livegate gateway.listen)']
      : []),
    ...(token === '' ? ['LIVEGATE_GATEWAY_TOKEN: required, the token livegate expects'] : []),
  ];
  if (problems.length > 0) {
    process.stderr.write(`dial-in-gateway: ${problems.join('; ')}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const gateway = new ReferenceGateway({
    url: values.url ?? '',
    token,
    name: values.name,
    ...(values.ca === undefined ? {} : { pinnedCertificate: readFileSync(values.ca, 'utf8') }),
  });
  gateway.start();
  const report = setInterval(() => {
    const line = {
      dialIns: gateway.dialIns,
      broker: gateway.connected('broker'),
      feed: gateway.connected('feed'),
      placements: gateway.account.placements,
      openOrders: gateway.account.openOrders.length,
      positions: Object.fromEntries(gateway.account.positions),
      deadManFirings: gateway.deadManFirings.length,
      lastClose: gateway.closes.at(-1),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }, 1000);
  const stop = () => {
    clearInterval(report);
    void gateway.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main();
