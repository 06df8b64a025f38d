/** Nanosecond wall clock that never goes backwards: max(now, last + 1). */
export class MonotonicClock {
  private last = 0n;
  private readonly base = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

  constructor(private readonly wall: () => bigint = () => this.base + process.hrtime.bigint()) {}

  now(): bigint {
    const t = this.wall();
    this.last = t > this.last ? t : this.last + 1n;
    return this.last;
  }

  observe(t: bigint): void {
    if (t > this.last) this.last = t;
  }
}
