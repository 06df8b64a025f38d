import assert from 'node:assert/strict';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { daemonForFile, eventually, runSync } from './helpers/wharfd';
import { makeContext } from './helpers/build-context';

// Builds through the clients users have: docker-compose 1.29 (`up --build`), docker-py 5 and
// dockerode 4, against wharfd's classic builder. The daemon has no default bridge: compose's
// project network is a user-defined one the daemon makes (and `down` removes).
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

/** A context dir with these files (parents made). */
const context = (files: Record<string, string>) => makeContext(d.dir, files);

const exists = (ref: string) => d.docker(['image', 'inspect', ref]).code === 0;

test('docker-compose up --build: two built services (COPY, args, a dockerfile in a subdir) run; down --rmi local removes them', async () => {
  const project = context({
    'docker-compose.yml': `version: "3.7"
services:
  web:
    build: ./web
  worker:
    build:
      context: ./worker
      dockerfile: sub/Dockerfile.worker
      args:
        GREETING: hello-from-args
    depends_on: [web]
`,
    'web/Dockerfile': 'FROM busybox\nCOPY index.html /www/index.html\nEXPOSE 80\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n',
    'web/index.html': 'served by web\n',
    'worker/sub/Dockerfile.worker': 'FROM busybox\nARG GREETING=unset\nRUN echo "$GREETING" > /greeting\nCOPY note.txt /note.txt\nCMD ["sh", "-c", "cat /greeting /note.txt; exec sleep 3600"]\n',
    'worker/note.txt': 'note from the worker context\n',
  });
  const compose = (args: string[]) => runSync('docker-compose', ['-p', 'wbproof', '-f', path.join(project, 'docker-compose.yml'), ...args], d.env, { timeoutMs: 120_000 });
  try {
    const up = compose(['up', '--build', '-d']);
    assert.equal(up.code, 0, `compose up: ${up.stdout}\n${up.stderr}`);
    // Both images exist under compose's names, built from their Dockerfiles.
    assert.ok(exists('wbproof_web:latest') && exists('wbproof_worker:latest'), ok(['images']));
    const webCfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', 'wbproof_web']));
    assert.deepEqual(webCfg.Cmd, ['httpd', '-f', '-p', '80', '-h', '/www']);
    assert.deepEqual(Object.keys(webCfg.ExposedPorts), ['80/tcp']);
    // Both containers run.
    const running = ok(['ps', '--format', '{{.Names}} {{.Image}} {{.State}}']).trim().split('\n').sort();
    assert.deepEqual(running, ['wbproof_web_1 wbproof_web running', 'wbproof_worker_1 wbproof_worker running']);
    // The build arg reached the RUN step; the file of the worker's context is in.
    const logs = await eventually(() => {
      const l = d.docker(['logs', 'wbproof_worker_1']).stdout;
      return l.includes('note') ? l : '';
    }, 10_000, 'worker logs');
    assert.equal(logs, 'hello-from-args\nnote from the worker context\n');
    // The web service serves its COPY'd file, reached by its service name on the project network.
    const page = await eventually(() => {
      const r = d.docker(['exec', 'wbproof_worker_1', 'wget', '-qO-', 'http://web/index.html']);
      return r.code === 0 ? r.stdout : '';
    }, 15_000, 'web page');
    assert.equal(page, 'served by web\n');
    // A second up --build uses the cache and keeps the containers.
    const again = compose(['up', '--build', '-d']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout + again.stderr, /Using cache/);
    assert.match(again.stderr, /wbproof_web_1 is up-to-date/);
  } finally {
    const down = compose(['down', '--rmi', 'local', '-t', '1']);
    assert.equal(down.code, 0, `compose down: ${down.stderr}`);
  }
  assert.equal(ok(['ps', '-aq']), '');
  assert.ok(!exists('wbproof_web') && !exists('wbproof_worker'), 'down --rmi local removes the built images');
  assert.doesNotMatch(ok(['network', 'ls', '--format', '{{.Name}}']), /wbproof_default/);
  assert.ok(exists('busybox:latest'));
});

const PY = `
import io, json, sys, docker
c = docker.from_env(timeout=120)
ctx = sys.argv[1]
out = {}
img, logs = c.images.build(path=ctx, tag='py:full', buildargs={'V': 'from-py'}, target='final',
                           dockerfile='sub/Dockerfile', rm=True, quiet=False)
logs = list(logs)
out['full'] = {'id': img.id, 'tags': img.tags, 'labels': img.labels, 'cmd': img.attrs['Config']['Cmd'],
               'env': img.attrs['Config']['Env'], 'streams': [l.get('stream', '') for l in logs]}
out['files'] = sorted(c.containers.run('py:full', ['find', '/ctx', '-type', 'f'], remove=True).decode().split())
out['v'] = c.containers.run('py:full', remove=True).decode()
img, logs = c.images.build(path=ctx, tag='py:quiet', dockerfile='sub/Dockerfile', target='final', quiet=True, buildargs={'V': 'from-py'})
out['quiet'] = {'id': img.id, 'tags': img.tags, 'logs': list(logs)}
f = io.BytesIO(b'FROM busybox\\nLABEL src=fileobj\\nRUN echo built > /made\\nCMD ["cat", "/made"]\\n')
events = list(c.api.build(fileobj=f, custom_context=False, tag='py:fileobj', rm=True, decode=True, labels={'who': 'docker-py'}))
out['fileobj'] = {'events': events, 'labels': c.images.get('py:fileobj').labels,
                  'run': c.containers.run('py:fileobj', remove=True).decode()}
try:
    c.images.build(fileobj=io.BytesIO(b'FROM busybox\\nRUN exit 3\\n'), tag='py:broken', rm=True)
    out['broken'] = None
except docker.errors.BuildError as e:
    out['broken'] = {'msg': e.msg, 'log': list(e.build_log)[-1]}
print(json.dumps(out))
`;

test('docker-py: images.build (path, dockerfile in a subdir, buildargs, labels, target, quiet) and api.build with a fileobj', () => {
  const ctx = context({
    'sub/Dockerfile': `FROM busybox AS base
RUN echo base > /base
FROM base AS final
ARG V=default
ENV V=$V
COPY . /ctx/
CMD ["sh", "-c", "echo $V"]
FROM busybox AS after
RUN echo never-built > /x
`,
    '.dockerignore': 'secret.txt\n**/*.tmp\n',
    'app.txt': 'app',
    'secret.txt': 'do not send',
    'dir/x.tmp': 'tmp',
    'dir/keep.txt': 'keep',
  });
  const r = runSync('/usr/bin/python3', ['-c', PY, ctx], d.env, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.full.tags, ['py:full']);
  assert.deepEqual(out.full.labels, {});
  assert.deepEqual(out.full.cmd, ['sh', '-c', 'echo $V']);
  assert.ok(out.full.env.includes('V=from-py'), out.full.env);
  assert.ok(out.full.streams.some((s: string) => /^Step 1\/\d+ : FROM busybox AS base/.test(s)), out.full.streams.join(''));
  assert.ok(out.full.streams.some((s: string) => s.startsWith('Successfully tagged py:full')));
  assert.ok(!out.full.streams.join('').includes('never-built'), 'the stage after the target is not built');
  // .dockerignore: docker-py leaves the ignored files out of the context it sends.
  assert.deepEqual(out.files, ['/ctx/.dockerignore', '/ctx/app.txt', '/ctx/dir/keep.txt', '/ctx/sub/Dockerfile']);
  assert.equal(out.v, 'from-py\n');
  // quiet: the same image (all from the cache), its id the only output.
  assert.equal(out.quiet.id, out.full.id);
  assert.deepEqual(out.quiet.tags.sort(), ['py:full', 'py:quiet']);
  assert.deepEqual(out.quiet.logs[out.quiet.logs.length - 1], { stream: `${out.full.id}\n` });
  assert.ok(out.quiet.logs.every((l: { stream?: string }) => !l.stream || l.stream === `${out.full.id}\n`), 'quiet: no step output');
  // A Dockerfile alone (custom_context=False), decoded stream.
  const streams = out.fileobj.events.map((e: { stream?: string }) => e.stream ?? '').join('');
  assert.match(streams, /Step 3\/5 : RUN echo built > \/made\n ---> Running in [0-9a-f]{12}\n/);
  assert.match(streams, /Removing intermediate container [0-9a-f]{12}\n/);
  assert.match(streams, /Step 5\/5 : LABEL who=docker-py\n/);
  assert.match(streams, /Successfully tagged py:fileobj\n/);
  assert.ok(out.fileobj.events.every((e: object) => !('error' in e)));
  assert.deepEqual(out.fileobj.labels, { src: 'fileobj', who: 'docker-py' });
  assert.equal(out.fileobj.run, 'built\n');
  // A failing step raises BuildError with Docker's message.
  assert.equal(out.broken.msg, "The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  assert.deepEqual(out.broken.log, { errorDetail: { code: 3, message: out.broken.msg }, error: out.broken.msg });
  assert.ok(!exists('py:broken'));
});

const PY_TARGET_LABELS = `
import json, sys, docker
c = docker.from_env(timeout=120)
labels = {'who': 'docker-py', 'a': 'x y'}
img, logs = c.images.build(path=sys.argv[1], tag='py:tl', target='final', labels=labels, dockerfile='sub/Dockerfile')
_, quiet = c.images.build(path=sys.argv[1], tag='py:tlq', target='final', labels=labels, dockerfile='sub/Dockerfile', quiet=True)
print(json.dumps({'labels': img.labels, 'streams': [l.get('stream', '') for l in logs], 'quiet': list(quiet)}))
`;

// dockerd 20.10 (checked): each label of the labels option is a step of its own, sorted by key,
// at the end of the *target* stage ("Step 6/7 : LABEL a=x y"; history "LABEL a=x y"), N/M counting
// only the stages up to the target; a quiet build streams nothing but the id (no aux event).
test('docker-py: labels with a target land on the target stage; steps counted up to the target; quiet sends only the id', () => {
  const ctx = context({
    'sub/Dockerfile': 'FROM busybox AS base\nRUN echo base > /base\nFROM base AS final\nENV V=1\nCMD ["sh"]\nFROM busybox AS after\nRUN echo never > /x\n',
  });
  const r = runSync('/usr/bin/python3', ['-c', PY_TARGET_LABELS, ctx], d.env, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.ok(out.streams.includes('Step 6/7 : LABEL a=x y'), out.streams.join(''));
  assert.ok(out.streams.includes('Step 7/7 : LABEL who=docker-py'), out.streams.join(''));
  assert.deepEqual(out.labels, { a: 'x y', who: 'docker-py' });
  assert.equal(out.quiet.length, 1, JSON.stringify(out.quiet));
  assert.match(out.quiet[0].stream, /^sha256:[0-9a-f]{64}\n$/);
});

/** The progress of a build stream followed as dockerode users do: all events, or the error. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<{ err: unknown; events: Record<string, unknown>[] }> {
  return new Promise((resolve) => {
    const seen: Record<string, unknown>[] = [];
    docker.modem.followProgress(
      stream,
      (err: unknown) => resolve({ err, events: seen }),
      (e: Record<string, unknown>) => seen.push(e),
    );
  });
}

test('dockerode buildImage: a tar-stream pack and {context, src}; followProgress sees the steps; the images run', async () => {
  const docker = new Docker({ socketPath: d.sock });
  const pack = tar.pack();
  pack.entry({ name: 'Dockerfile' }, 'FROM busybox\nCOPY run.sh /run.sh\nRUN chmod +x /run.sh\nCMD ["/run.sh"]\n');
  pack.entry({ name: 'run.sh', mode: 0o644 }, '#!/bin/sh\necho from-tar-stream\n');
  pack.finalize();
  const s1 = await docker.buildImage(pack as unknown as Readable, { t: 'node:tarstream' });
  const r1 = await follow(docker, s1);
  assert.equal(r1.err, null);
  const text1 = r1.events.map((e) => e.stream ?? '').join('');
  assert.match(text1, /Step 4\/4 : CMD \["\/run.sh"\]/);
  assert.match(text1, /Successfully tagged node:tarstream\n/);
  assert.equal(ok(['run', '--rm', 'node:tarstream']), 'from-tar-stream\n');

  const ctx = context({ Dockerfile: 'FROM busybox\nCOPY a.txt b.txt /data/\nCMD ["cat", "/data/a.txt", "/data/b.txt"]\n', 'a.txt': 'A\n', 'b.txt': 'B\n', 'left-out.txt': 'not in src' });
  const s2 = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'a.txt', 'b.txt'] }, { t: 'node:src', labels: { via: 'dockerode' } });
  const r2 = await follow(docker, s2);
  assert.equal(r2.err, null);
  assert.ok(r2.events.some((e) => typeof e.aux === 'object' && /^sha256:[0-9a-f]{64}$/.test(String((e.aux as { ID?: string }).ID))), JSON.stringify(r2.events));
  const info = await docker.getImage('node:src').inspect();
  assert.deepEqual(info.RepoTags, ['node:src']);
  assert.equal(info.Config.Labels?.via, 'dockerode');
  assert.equal(ok(['run', '--rm', 'node:src']), 'A\nB\n');
  assert.equal(d.docker(['run', '--rm', 'node:src', 'ls', '/data']).stdout, 'a.txt\nb.txt\n');

  // A failing build: followProgress ends with the error event (dockerode reports it in the events).
  const bad = await docker.buildImage({ context: ctx, src: ['Dockerfile', 'a.txt'] }, { t: 'node:bad' });
  const r3 = await follow(docker, bad);
  const last = r3.events[r3.events.length - 1];
  assert.match(String(last.error), /COPY failed: file not found in build context or excluded by \.dockerignore: stat b\.txt: file does not exist/);
  assert.ok(!exists('node:bad'));
});
