import { asDaemon } from '../../journal/actor';

/** The timers of containers waiting out their restart back-off. */
export class RestartTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  set(id: string, ms: number, fn: () => void): void {
    this.cancel(id);
    // The policy's doing, whoever's request or exit scheduled it.
    const t = setTimeout(() => {
      this.timers.delete(id);
      asDaemon('restart-policy', fn);
    }, ms);
    t.unref();
    this.timers.set(id, t);
  }

  cancel(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  cancelAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
