// Creates prom-client metrics on one private registry under one name prefix, so no metric of ours
// ever lands in prom-client's global registry and two engines' metrics never share a name space.

import { Counter, Gauge, type Registry } from 'prom-client';

export class MetricFactory {
  constructor(
    readonly registry: Registry,
    readonly prefix: string,
  ) {}

  counter<Label extends string = never>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
  ): Counter<Label> {
    return new Counter({
      name: this.prefix + name,
      help,
      labelNames,
      registers: [this.registry],
    });
  }

  gauge<Label extends string = never>(
    name: string,
    help: string,
    labelNames: readonly Label[] = [],
  ): Gauge<Label> {
    return new Gauge({ name: this.prefix + name, help, labelNames, registers: [this.registry] });
  }
}
