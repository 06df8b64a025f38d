import { Subject } from 'rxjs';
import type { ContainerView } from '../../domain/container';
import { nowNanos } from '../../domain/time';

/**
 * Events Docker emits that change nothing Wharf keeps, so they are never journal records:
 * a client attaching, a path copied out of (archive-path) or into (extract-to-dir) a
 * container, and the exec_create / exec_start / exec_die of each health probe (recorded, one
 * a probe, they would grow the journal with uptime). Subscribers of /events see them live;
 * `--since` history does not have them (journal/README.md lists them).
 */
export interface LiveEvent {
  /** Docker's event type: all of these are the container's. */
  type: 'container';
  action: string;
  id: string;
  image: string;
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch. */
  time: bigint;
  /** The journal's last sequence number when it happened: a stream sends it after the records up to there. */
  afterSeq: bigint;
}

export class LiveEvents {
  readonly events$ = new Subject<LiveEvent>();

  /** lastSeq: the journal's last sequence number (the order of a live event among the records). */
  constructor(private readonly lastSeq: () => bigint = () => 0n) {}

  /** An event of a container, with the attributes Docker gives every container event (labels, image, name). */
  container(c: ContainerView, action: string, extra: Record<string, string> = {}): void {
    if (!this.events$.observed) return;
    this.events$.next({ type: 'container', action, id: c.id, image: c.config.Image, attributes: { ...(c.config.Labels ?? {}), image: c.config.Image, name: c.name, ...extra }, time: nowNanos(), afterSeq: this.lastSeq() });
  }
}
