import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideLoad, decidePull, decideRemoveImage, decideTag, type ImageUser } from './image-decisions';
import type { ImageState, ImageView } from './image';
import { WharfError } from './errors';

const id = (c: string) => `sha256:${c.repeat(64)}`;
function image(c: string, o: Partial<ImageView> = {}): ImageView {
  return { id: id(c), created: '2026-01-01T00:00:00Z', layers: [], size: 0, config: {}, comment: '', history: [], tags: [], lastTagTime: '', ...o };
}
function state(...imgs: ImageView[]): ImageState {
  return { images: new Map(imgs.map((i) => [i.id, i])), tags: new Map(imgs.flatMap((i) => i.tags.map((t) => [t, i.id] as [string, string]))) };
}
const refused = (status: string, re: RegExp) => (e: unknown) => e instanceof WharfError && e.kind === status && re.test(e.message);

test('tag: a familiar reference, or Docker refusals for bad tags and digests', () => {
  const img = image('a');
  assert.deepEqual(decideTag(img, 'app', 'v1'), [{ type: 'image.tagged', data: { id: img.id, ref: 'app:v1' } }]);
  assert.deepEqual(decideTag(img, 'localhost:5000/app'), [{ type: 'image.tagged', data: { id: img.id, ref: 'localhost:5000/app:latest' } }]);
  assert.throws(() => decideTag(img, 'app:v1', 'v2'), refused('invalid-argument', /invalid reference format/));
  assert.throws(() => decideTag(img, `app@${id('b')}`), refused('invalid-argument', /refusing to create a tag with a digest reference/));
  assert.throws(() => decideTag(img, 'App'), WharfError);
});

test('rmi: untag only while another tag or a child keeps the image', () => {
  const img = image('a', { tags: ['a:1', 'a:2'] });
  assert.deepEqual(decideRemoveImage(state(img), [], img, { ref: 'a:1', force: false, noPrune: false }), [{ type: 'image.untagged', data: { id: img.id, ref: 'a:1' } }]);
  const parent = image('p', { tags: ['p:1'] });
  const child = image('c', { parent: parent.id });
  assert.deepEqual(decideRemoveImage(state(parent, child), [], parent, { ref: 'p:1', force: false, noPrune: false }), [{ type: 'image.untagged', data: { id: parent.id, ref: 'p:1' } }]);
  assert.throws(() => decideRemoveImage(state(parent, child), [], parent, { ref: 'pppp', force: true, noPrune: false }), refused('conflict', /image has dependent child images/));
});

test('rmi: containers on the image refuse it (stopped: unless forced; running: always)', () => {
  const img = image('a', { tags: ['a:1'] });
  const stopped: ImageUser[] = [{ id: 'f'.repeat(64), imageId: img.id, running: false }];
  const running: ImageUser[] = [{ id: 'e'.repeat(64), imageId: img.id, running: true }];
  assert.throws(() => decideRemoveImage(state(img), stopped, img, { ref: 'a:1', force: false, noPrune: false }), refused('conflict', /unable to remove repository reference "a:1" \(must force\) - container ffffffffffff/));
  assert.throws(() => decideRemoveImage(state(img), stopped, img, { ref: 'aaaa', force: false, noPrune: false }), refused('conflict', /being used by stopped container ffffffffffff/));
  // Forced under a stopped container: the tags go, the image stays (dangling), as Docker's.
  assert.deepEqual(decideRemoveImage(state(img), stopped, img, { ref: 'a:1', force: true, noPrune: false }), [{ type: 'image.untagged', data: { id: img.id, ref: 'a:1' } }]);
  assert.throws(() => decideRemoveImage(state(img), running, img, { ref: 'a:1', force: true, noPrune: false }), refused('conflict', /cannot be forced\) - image is being used by running container eeeeeeeeeeee/));
  const two = image('b', { tags: ['b:1', 'b:2'] });
  assert.throws(() => decideRemoveImage(state(two), [], two, { ref: 'bbbb', force: false, noPrune: false }), refused('conflict', /referenced in multiple repositories/));
});

test('rmi: the last tag deletes the image and its untagged, unused parents (unless no-prune)', () => {
  const grand = image('g', { tags: ['base:1'] });
  const parent = image('p', { parent: grand.id });
  const img = image('a', { tags: ['a:1'], parent: parent.id });
  const all = state(grand, parent, img);
  assert.deepEqual(decideRemoveImage(all, [], img, { ref: 'a:1', force: false, noPrune: false }).map((e) => `${e.type} ${(e.data as { id: string }).id.slice(7, 8)}`), [
    'image.untagged a',
    'image.deleted a',
    'image.deleted p',
  ]);
  assert.deepEqual(decideRemoveImage(all, [], img, { ref: 'a:1', force: false, noPrune: true }).map((e) => e.type), ['image.untagged', 'image.deleted']);
  // A parent a container uses stays.
  const onParent: ImageUser[] = [{ id: 'f'.repeat(64), imageId: parent.id, running: false }];
  assert.deepEqual(decideRemoveImage(all, onParent, img, { ref: 'a:1', force: false, noPrune: false }).map((e) => e.type), ['image.untagged', 'image.deleted']);
});

test('pull: nothing to record when the image and its tag are there; else pulled (and tagged)', () => {
  const o = { id: id('a'), cfg: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] } }, diffIds: [id('d')], sizes: [10], familiar: 'localhost:5000/app:1', repoDigest: `localhost:5000/app@${id('m')}`, tagRef: 'localhost:5000/app:1' };
  const fresh = decidePull(state(), o);
  assert.equal(fresh.upToDate, false);
  assert.deepEqual(fresh.events.map((e) => e.type), ['image.pulled', 'image.tagged']);
  assert.deepEqual((fresh.events[0].data as { platform?: unknown; size: number }).platform, { os: 'linux', architecture: 'amd64' });
  const have = image('a', { tags: ['localhost:5000/app:1'], repoDigests: [o.repoDigest] });
  assert.deepEqual(decidePull(state(have), o), { events: [], upToDate: true });
  // The tag moved elsewhere meanwhile: pulled again, so the tag comes back.
  const elsewhere = image('b', { tags: ['localhost:5000/app:1'] });
  assert.equal(decidePull(state({ ...have, tags: [] }, elsewhere), o).upToDate, false);
  // By digest: no tag.
  assert.deepEqual(decidePull(state(), { ...o, tagRef: undefined }).events.map((e) => e.type), ['image.pulled']);
});

test('load: the image record (sizes summed, defaults for a bare config) and its tags', () => {
  const events = decideLoad(id('a'), {}, [id('d'), id('e')], [3, 4], ['x:1']);
  assert.deepEqual(events[0], { type: 'image.loaded', data: { id: id('a'), created: new Date(0).toISOString(), layers: [id('d'), id('e')], layerSizes: [3, 4], size: 7, config: {}, comment: '', history: [], author: '' } });
  assert.deepEqual(events[1], { type: 'image.tagged', data: { id: id('a'), ref: 'x:1' } });
});
