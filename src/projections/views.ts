import type { Envelope } from '../domain/envelope';
import { evolveContainer, type ContainerView } from '../domain/container';
import { evolveImages, type ImageState } from '../domain/image';
import { evolveVolume, type VolumeView } from '../domain/volume';
import type { Journal } from '../journal/journal';
import { nanosToRfc3339 } from '../domain/time';

/**
 * The in-memory views, rebuilt from the journal at boot and kept current by every commit.
 * They answer ps / inspect / images; nothing here is a source of truth.
 */
export class Views {
  readonly containers = new Map<string, ContainerView>();
  readonly names = new Map<string, string>();
  readonly images: ImageState = { images: new Map(), tags: new Map() };
  readonly volumes = new Map<string, VolumeView>();
  appliedSeq = 0n;

  apply(e: Envelope): void {
    if (e.seq <= this.appliedSeq) return;
    this.appliedSeq = e.seq;
    if (e.type.startsWith('container.')) {
      const id = e.data.id;
      const before = this.containers.get(id);
      const after = evolveContainer(before, e, e.seq);
      if (before && (!after || after.name !== before.name)) this.names.delete(before.name);
      if (after) {
        this.containers.set(id, after);
        this.names.set(after.name, id);
      } else this.containers.delete(id);
    } else if (e.type.startsWith('image.')) {
      evolveImages(this.images, e, nanosToRfc3339(e.time));
    } else if (e.type.startsWith('volume.')) {
      const after = evolveVolume(this.volumes.get(e.data.id), e);
      if (after) this.volumes.set(e.data.id, after);
      else this.volumes.delete(e.data.id);
    }
  }

  /** Replay the whole journal, then follow its commits. */
  static async rebuild(journal: Journal): Promise<Views> {
    const v = new Views();
    for await (const e of journal.read()) v.apply(e);
    journal.committed$.subscribe((batch) => batch.forEach((e) => v.apply(e)));
    return v;
  }
}
