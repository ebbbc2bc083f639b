// A kill reaching a gateway that dials in. The gateway keeps one session with whoever listens on
// `gateway.listen`: when the address is free (every engine dead), this process listens itself and
// takes the gateway's next dial-in; when it is taken (an engine runs), it goes through that engine's
// kill relay on the same address. Either way the cancel-all reaches the gateway's account.

import { isLivegateError } from '../../core/errors.js';
import type {
  CancelScope,
  VenueCanceller,
  VenueOpenOrder,
  VenuePosition,
  VenueTrade,
} from '../../core/ports.js';
import { GatewayListener, formatAddress, type GatewayListenerOptions } from './gateway-listener.js';
import type { GatewayConnectionTimings } from './gateway-connection.js';
import { DiallingSocketSource } from './gateway-socket-source.js';
import { GatewayVenueCanceller } from './gateway-venue-canceller.js';
import { WebSocketBroker } from './websocket-broker.js';

export interface DialInKillSettings {
  readonly listener: GatewayListenerOptions;
  readonly timings: GatewayConnectionTimings & {
    readonly reconnect: { readonly initialDelayMs: number; readonly maxDelayMs: number };
  };
}

interface Route {
  readonly canceller: GatewayVenueCanceller;
  /** Held only when this process listens itself. */
  readonly listener: GatewayListener | undefined;
}

export class DialInVenueCanceller implements VenueCanceller {
  readonly name: string;
  private route: Promise<Route> | undefined;

  constructor(private readonly settings: DialInKillSettings) {
    const { host, port } = settings.listener;
    this.name = `websocket:dial-in:${formatAddress(host, port)}`;
  }

  async cancelAll(scope: CancelScope): Promise<number> {
    return (await this.routed()).cancelAll(scope);
  }

  async openOrders(): Promise<VenueOpenOrder[]> {
    return (await this.routed()).openOrders();
  }

  tradesSince(): Promise<VenueTrade[] | undefined> {
    return Promise.resolve(undefined);
  }

  async positions(): Promise<VenuePosition[] | undefined> {
    return (await this.routed()).positions();
  }

  async close(): Promise<void> {
    const route = await this.route?.catch(() => undefined);
    await route?.canceller.close();
    await route?.listener?.close();
  }

  /** How this kill reaches the gateway, decided once: listen here, or relay through the engine. */
  private async routed(): Promise<GatewayVenueCanceller> {
    this.route ??= this.chooseRoute().catch((error: unknown) => {
      this.route = undefined; // the next round tries again
      throw error;
    });
    return (await this.route).canceller;
  }

  private async chooseRoute(): Promise<Route> {
    const { timings } = this.settings;
    try {
      const listener = await GatewayListener.open(this.settings.listener);
      const source = listener.source('broker');
      const canceller = new GatewayVenueCanceller(() => new WebSocketBroker(timings, source));
      return { canceller, listener };
    } catch (error) {
      if (!(
        isLivegateError(error, 'ERR_GATEWAY_LISTEN_FAILED') && error.details?.errno === 'EADDRINUSE'
      )) {
        throw error;
      }
    }
    const { host, port, token, tls } = this.settings.listener;
    const url = `${tls === undefined ? 'ws' : 'wss'}://${formatAddress(loopbackOf(host), port)}/kill`;
    const venue = this.name.slice('websocket:'.length);
    const dial = () =>
      new DiallingSocketSource(url, venue, timings, {
        headers: { authorization: `Bearer ${token}` },
        ...(tls === undefined ? {} : { pinnedCertificate: tls.certificate }),
      });
    return {
      canceller: new GatewayVenueCanceller(() => new WebSocketBroker(timings, dial())),
      listener: undefined,
    };
  }
}

/** An engine listening on every interface is reached on loopback. */
function loopbackOf(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host.replace(/^\[(.*)\]$/, '$1');
}
