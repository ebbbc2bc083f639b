// Requests made while the gateway is unreachable wait here: bounded, one per key, each with a
// deadline, sent first thing on the next connection. Orders never come here.

import type { OutboundFrame } from './gateway-protocol.js';

export class OutboundQueue {
  private readonly frames = new Map<string, { frame: OutboundFrame; expiresAt: number }>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.frames.size;
  }

  /** Holds (or replaces) the frame under `key`; false when the queue is full. */
  put(key: string, frame: OutboundFrame, expiresAt: number): boolean {
    if (!this.frames.has(key) && this.frames.size >= this.limit) return false;
    this.frames.delete(key);
    this.frames.set(key, { frame, expiresAt });
    return true;
  }

  remove(key: string): void {
    this.frames.delete(key);
  }

  /** Empties the queue, returning the frames whose deadline (monotonic ms) is still ahead, oldest first. */
  takeUnexpired(now: number): OutboundFrame[] {
    const frames = [...this.frames.values()];
    this.frames.clear();
    return frames.filter((entry) => entry.expiresAt > now).map((entry) => entry.frame);
  }

  clear(): void {
    this.frames.clear();
  }
}
