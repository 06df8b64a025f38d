/**
 * Monitors spawned ahead of a start that is likely to come (a container just created: `docker
 * run` and compose start it next; the id the next create gets, see NextContainer), by container.
 * A start asking for the same options takes its one; any other is cancelled. Unused, one is
 * cancelled after its time (`ttlMs` unless offered with another), or when its container goes; at
 * most `max` wait at once (a burst of creates spawns no more).
 */
export class WarmMonitors<T extends { cancel(): void }> {
  private readonly waiting = new Map<string, { key: string; monitor: T; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly ttlMs = 5000,
    private readonly max = 8,
  ) {}

  /**
   * make() now, unless the pool is full. One waiting for this id with the same options is kept
   * (its time starts again: ttlMs, or none if Infinity); with other options, it is cancelled and
   * none is made (false): a new monitor for a container waits until the old one is gone.
   */
  offer(id: string, key: string, make: () => T, ttlMs = this.ttlMs): boolean {
    const w = this.waiting.get(id);
    if (w && w.key !== key) {
      this.drop(id);
      return false;
    }
    if (!w && this.waiting.size >= this.max) return false;
    const entry = w ?? { key, monitor: make() };
    clearTimeout(entry.timer);
    entry.timer = ttlMs === Infinity ? undefined : setTimeout(() => this.drop(id), ttlMs);
    entry.timer?.unref();
    this.waiting.set(id, entry);
    return true;
  }

  /** The one spawned for these options; one spawned for others is cancelled. */
  take(id: string, key: string): T | undefined {
    const w = this.waiting.get(id);
    if (!w) return undefined;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    if (w.key === key) return w.monitor;
    w.monitor.cancel();
    return undefined;
  }

  drop(id: string): void {
    this.take(id, '\0');
  }

  dropAll(): void {
    for (const id of [...this.waiting.keys()]) this.drop(id);
  }

  get size(): number {
    return this.waiting.size;
  }
}
