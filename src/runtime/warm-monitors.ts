/**
 * Monitors spawned ahead of a start that is likely to come (a container just created: `docker
 * run` and compose start it next), by container. A start asking for the same options takes its
 * one; any other is cancelled. Unused, one is cancelled after `ttlMs`, or when its container goes;
 * at most `max` wait at once (a burst of creates spawns no more).
 */
export class WarmMonitors<T extends { cancel(): void }> {
  private readonly waiting = new Map<string, { key: string; monitor: T; timer: NodeJS.Timeout }>();

  constructor(
    private readonly ttlMs = 5000,
    private readonly max = 8,
  ) {}

  /** make() now, unless one waits for this id already or the pool is full. */
  offer(id: string, key: string, make: () => T): void {
    if (this.waiting.has(id) || this.waiting.size >= this.max) return;
    const monitor = make();
    const timer = setTimeout(() => this.drop(id), this.ttlMs);
    timer.unref();
    this.waiting.set(id, { key, monitor, timer });
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
