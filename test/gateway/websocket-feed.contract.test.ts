// The WebSocket feed passes the MarketFeed contract against a local gateway that streams `count`
// ticks (two symbols) after the subscribe, then closes with end-of-stream.
import { afterAll, beforeAll } from 'vitest';
import { WebSocketFeed } from '../../src/adapters/gateway/websocket-feed.js';
import { END_OF_STREAM_CLOSE_CODE } from '../../src/adapters/gateway/gateway-protocol.js';
import { runMarketFeedContract } from '../contracts/market-feed.contract.js';
import { ScriptableGateway, tickFrame } from '../support/gateway-server.js';

let gateway: ScriptableGateway;

beforeAll(async () => {
  gateway = await ScriptableGateway.start({
    venues: false,
    onFrame: (peer, frame) => {
      if (frame.type !== 'subscribe') return;
      const count = Number(new URL(peer.path, gateway.url).searchParams.get('count'));
      for (let index = 0; index < count; index += 1) {
        peer.send(tickFrame(index, index % 2 === 0 ? 'EURUSD' : 'GBPUSD'));
      }
      peer.socket.close(END_OF_STREAM_CLOSE_CODE, 'end of stream');
    },
  });
});

afterAll(async () => {
  await gateway.stop();
});

runMarketFeedContract(
  'WebSocketFeed',
  (count) =>
    new WebSocketFeed({
      url: `${gateway.url}/stream?count=${count}`,
      symbols: ['EURUSD', 'GBPUSD'],
    }),
);
