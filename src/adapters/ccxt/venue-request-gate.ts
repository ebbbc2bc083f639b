// What may leave through ccxt's rate limiter, and when. ccxt queues requests until the venue's
// rate budget allows them: an order that passed gate 3 at submit went out up to seconds after a
// kill (seen: 59 orders, the last 5.6 s after a confirmed kill), and the engage's cancel-all waited
// behind them. So (1) an order asks the gate again as its request leaves the throttle, (2) at most
// one order waits inside ccxt's queue at a time, the others wait here where a kill turns them away
// without spending rate budget, and (3) a cancel-all skips the queue altogether.

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Exchange } from 'ccxt';

/** The switch closed while the order waited for its turn: nothing of it reached the venue. */
export class HeldBackByKillSwitch extends Error {
  constructor(where: string) {
    super(`not sent: the kill switch closed while it waited ${where}`);
    this.name = 'HeldBackByKillSwitch';
  }
}

type Passage =
  | {
      readonly kind: 'order';
      readonly mayLeave: () => boolean;
      /** Frees the turn for the next order: this one is out of ccxt's queue. */
      readonly left: () => void;
    }
  | { readonly kind: 'urgent' };

export class VenueRequestGate {
  private readonly current = new AsyncLocalStorage<Passage>();
  private readonly waiting: (() => void)[] = [];
  private busy = false;

  constructor(exchange: Exchange) {
    const throttle = exchange.throttle.bind(exchange);
    // ccxt's fetch2 awaits this.throttle(cost), then signs and sends in the same turn of the event
    // loop: the last point at which an order can still be kept back.
    exchange.throttle = async (cost?: number): Promise<void> => {
      const passage = this.current.getStore();
      if (passage?.kind === 'urgent') return;
      await throttle(cost);
      if (passage === undefined) return;
      passage.left();
      if (!passage.mayLeave()) throw new HeldBackByKillSwitch("for the venue's rate limit");
    };
  }

  /** Runs `send` (one createOrder) in its turn, asking `mayLeave` as the turn comes and as it leaves. */
  async order<T>(mayLeave: () => boolean, send: () => Promise<T>): Promise<T> {
    await this.turn();
    let released = false;
    const left = (): void => {
      if (released) return;
      released = true;
      this.next();
    };
    try {
      if (!mayLeave()) throw new HeldBackByKillSwitch('behind earlier orders');
      return await this.current.run({ kind: 'order', mayLeave, left }, send);
    } finally {
      left();
    }
  }

  /**
   * Runs `send` past ccxt's rate limiter: a cancel-all must not wait behind polls. Should the venue
   * answer "rate limited", the caller's retry sends it again.
   */
  urgent<T>(send: () => Promise<T>): Promise<T> {
    return this.current.run({ kind: 'urgent' }, send);
  }

  private turn(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private next(): void {
    const resolve = this.waiting.shift();
    if (resolve === undefined) this.busy = false;
    else resolve();
  }
}
