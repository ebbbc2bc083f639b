import { describe, expect, it } from 'vitest';
import { SlidingWindow } from '../../../src/risk/monitor/sliding-window.js';

describe('SlidingWindow', () => {
  it('counts only samples younger than the window', () => {
    const window = new SlidingWindow(1000);
    window.push(0);
    window.push(500);
    window.push(999);
    expect(window.count(999)).toBe(3);
    expect(window.count(1000)).toBe(2); // exactly windowMs old is out
    expect(window.count(1999)).toBe(0);
  });

  it('keeps order and values when it grows while wrapped around', () => {
    const window = new SlidingWindow(1000);
    for (let time = 0; time < 50; time++) window.push(time, time * 10);
    expect(window.count(1039)).toBe(10); // the oldest 40 left: the ring now starts mid-buffer
    for (let time = 50; time < 110; time++) window.push(time, time * 10); // past 64: grows
    const values = new Float64Array(128);
    const count = window.copyValues(1039, values);
    expect(count).toBe(70);
    expect(Array.from(values.subarray(0, count))).toEqual(
      Array.from({ length: 70 }, (_, index) => (index + 40) * 10),
    );
  });
});
