import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { TestRegistry } from './helpers/registry';
import { api, daemonForFile, runAsync, runSync, DOCKER, TestDaemon } from './helpers/wharfd';
import { makeContext } from './helpers/build-context';

// docker build with the real CLI 28 (the classic builder: wharfd's /_ping says Builder-Version 1).
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);

/** A context dir with these files (parents made). */
const context = (files: Record<string, string>) => makeContext(d.dir, files);

const build = (args: string[], env: NodeJS.ProcessEnv = {}) => runSync(DOCKER, ['build', ...args], { ...d.env, ...env }, { timeoutMs: 120_000 });
const buildOk = (args: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = build(args, env);
  assert.equal(r.code, 0, `docker build ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const idOf = (out: string) => /Successfully built ([0-9a-f]{12})/.exec(out)?.[1];

const BASIC = `FROM busybox
ARG G=x
ENV A=1
COPY f.txt /f.txt
RUN echo $G > /g
LABEL k=v
CMD ["cat", "/g"]
`;

test('a Dockerfile builds: the classic builder stream, history, config; the image runs', () => {
  const ctx = context({ Dockerfile: BASIC, 'f.txt': 'one' });
  const out = buildOk(['-t', 'hb:1', '--build-arg', 'G=hey', ctx]);
  assert.match(out, /^Sending build context to Docker daemon/m);
  assert.match(out, /^Step 1\/7 : FROM busybox$/m);
  assert.match(out, /^Step 5\/7 : RUN echo \$G > \/g$/m);
  assert.match(out, /^ ---> Running in [0-9a-f]{12}$/m);
  assert.match(out, /^Removing intermediate container [0-9a-f]{12}$/m);
  assert.match(out, /^Successfully tagged hb:1$/m);
  assert.equal(ok(['run', '--rm', 'hb:1']), 'hey\n');
  assert.equal(ok(['run', '--rm', 'hb:1', 'cat', '/f.txt']), 'one');
  const history = ok(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'hb:1']).split('\n');
  assert.equal(history[0], '/bin/sh -c #(nop)  CMD ["cat" "/g"]');
  assert.equal(history[1], '/bin/sh -c #(nop)  LABEL k=v');
  assert.equal(history[2], '|1 G=hey /bin/sh -c echo $G > /g');
  assert.match(history[3], /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \/f.txt $/);
  assert.equal(history[4], '/bin/sh -c #(nop)  ENV A=1');
  assert.equal(history[5], '/bin/sh -c #(nop)  ARG G=x');
  const cfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', 'hb:1']));
  assert.deepEqual(cfg.Cmd, ['cat', '/g']);
  assert.equal(cfg.Labels.k, 'v');
  assert.ok(cfg.Env.includes('A=1'));
  assert.ok(!cfg.Env.some((e: string) => e.startsWith('G=')), 'build args are not kept in the image');
  // No intermediate container is left, and intermediate images are hidden from images (not from -a).
  assert.equal(ok(['ps', '-aq']), '');
  const shown = ok(['images', '-q']).trim().split('\n');
  const all = ok(['images', '-aq']).trim().split('\n');
  assert.ok(all.length >= shown.length + 5, `${all.length} vs ${shown.length}`);
});

test('an identical rebuild uses the cache for every step and gives the same id; a changed file misses from its step on', async () => {
  const ctx = context({ Dockerfile: BASIC, 'f.txt': 'one' });
  const first = buildOk(['-t', 'hc:1', ctx]);
  const again = buildOk(['-t', 'hc:2', ctx]);
  assert.equal((again.match(/ ---> Using cache/g) ?? []).length, 6, again);
  assert.equal(idOf(again), idOf(first));
  // The cache is derived from the journal: it survives a restart of the daemon.
  await d.stop();
  await d.start();
  const afterRestart = buildOk(['-t', 'hc:3', ctx]);
  assert.equal(idOf(afterRestart), idOf(first));
  assert.equal((afterRestart.match(/ ---> Using cache/g) ?? []).length, 6);
  writeFileSync(path.join(ctx, 'f.txt'), 'two');
  const changed = buildOk(['-t', 'hc:4', ctx]);
  assert.equal((changed.match(/ ---> Using cache/g) ?? []).length, 2, changed); // ARG, ENV
  assert.notEqual(idOf(changed), idOf(first));
  assert.equal(ok(['run', '--rm', 'hc:4', 'cat', '/f.txt']), 'two');
  const nocache = buildOk(['--no-cache', '-t', 'hc:5', ctx]);
  assert.doesNotMatch(nocache, /Using cache/);
});

test('a failing RUN stops the build with Docker message and code; nothing tagged, no container left', () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nRUN echo before\nRUN exit 7\nRUN echo never\n' });
  const r = build(['-t', 'broken:1', ctx]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The command '\/bin\/sh -c exit 7' returned a non-zero code: 7/);
  assert.doesNotMatch(r.stdout, /never/);
  assert.equal(d.docker(['image', 'inspect', 'broken:1']).code, 1);
  assert.equal(ok(['ps', '-aq']), '');
});

test('multi-stage: COPY --from a stage, --target a middle stage', () => {
  const ctx = context({
    Dockerfile: `FROM busybox AS builder
RUN mkdir /out && echo artifact > /out/app && echo junk > /junk
FROM busybox AS middle
RUN echo middle > /m
FROM scratch
COPY --from=builder /out/app /app
COPY --from=0 /bin/busybox /bin/busybox
CMD ["/bin/busybox", "cat", "/app"]
`,
  });
  buildOk(['-t', 'ms:final', ctx]);
  assert.equal(ok(['run', '--rm', 'ms:final']), 'artifact\n');
  // The final image holds the two copied files and nothing of the builder stage.
  const layers = JSON.parse(ok(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'ms:final']));
  assert.equal(layers.length, 2);
  const files = ok(['run', '--rm', 'ms:final', '/bin/busybox', 'find', '/', '-xdev', '-type', 'f']).split('\n').filter(Boolean).sort();
  // (/etc/hosts, hostname and resolv.conf are the container's, from its init layer.)
  assert.deepEqual(files.filter((f) => !f.startsWith('/etc/')), ['/app', '/bin/busybox']);
  buildOk(['--target', 'middle', '-t', 'ms:middle', ctx]);
  assert.equal(ok(['run', '--rm', 'ms:middle', 'cat', '/m']), 'middle\n');
  const bad = build(['--target', 'nope', ctx]);
  assert.match(bad.stderr, /failed to reach build target nope in Dockerfile/);
});

test('.dockerignore with exceptions; -f outside the context; an ignored Dockerfile still builds but is not copied', () => {
  const ctx = context({
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN find /ctx -type f | sort\n',
    '.dockerignore': '*.log\n!keep.log\nDockerfile\n',
    'a.txt': 'a',
    'x.log': 'x',
    'keep.log': 'k',
  });
  buildOk(['-t', 'ign:1', ctx]);
  // The Dockerfile is sent (the build needs it) but, being ignored, is not copied; .dockerignore is not ignored here.
  const files = ok(['run', '--rm', 'ign:1', 'find', '/ctx', '-type', 'f']).split('\n').filter(Boolean).sort();
  assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/a.txt', '/ctx/keep.log']);
  const outside = path.join(d.dir, 'Other.dockerfile');
  writeFileSync(outside, 'FROM busybox\nCOPY a.txt /a\n');
  buildOk(['-f', outside, '-t', 'ign:2', ctx]);
  assert.equal(ok(['run', '--rm', 'ign:2', 'cat', '/a']), 'a');
});

test('ONBUILD triggers run in the child build; ENTRYPOINT and CMD; WORKDIR, USER, EXPOSE, VOLUME, HEALTHCHECK, STOPSIGNAL', () => {
  const parent = context({ Dockerfile: 'FROM busybox\nONBUILD COPY marker /marker\nONBUILD RUN echo triggered > /t\n' });
  buildOk(['-t', 'onb:parent', parent]);
  const child = context({
    Dockerfile: `FROM onb:parent
WORKDIR /srv
WORKDIR app
USER nobody
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s CMD true
ENTRYPOINT ["echo", "hello"]
CMD ["world"]
`,
    marker: 'm',
  });
  const out = buildOk(['-t', 'onb:child', child]);
  assert.match(out, /# Executing 2 build triggers/);
  assert.equal(ok(['run', '--rm', 'onb:child']), 'hello world\n');
  assert.equal(ok(['run', '--rm', '--entrypoint', 'cat', 'onb:child', '/t']), 'triggered\n');
  const cfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', 'onb:child']));
  assert.equal(cfg.WorkingDir, '/srv/app');
  assert.equal(cfg.User, 'nobody');
  assert.deepEqual(Object.keys(cfg.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
  assert.deepEqual(Object.keys(cfg.Volumes), ['/data']);
  assert.equal(cfg.StopSignal, 'SIGINT');
  assert.deepEqual(cfg.Healthcheck.Test, ['CMD-SHELL', 'true']);
  assert.equal(cfg.Healthcheck.Interval, 5_000_000_000);
  assert.ok(!cfg.OnBuild?.length, 'triggers are not inherited by the child');
});

test('the API: q=1 gives the id only; labels; a bad tag is a 400 before any work; builder prune frees only cache', async () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nRUN echo q > /q\n' });
  const q = build(['-q', '--label', 'who=me', '-t', 'quiet:1', ctx]);
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(ok(['image', 'inspect', '-f', '{{index .Config.Labels "who"}}', 'quiet:1']).trim(), 'me');
  const bad = await api(d.sock, 'POST', '/build?t=Bad:Tag', Buffer.alloc(1024), { 'Content-Type': 'application/x-tar' });
  assert.equal(bad.status, 400, bad.body);
  // Events: the build is in the journal (wharf's facts), the tag is a Docker event.
  const failing = context({ Dockerfile: 'FROM busybox\nRUN echo cache-only > /c\nRUN exit 3\n' });
  build([failing]);
  const pruned = JSON.parse((await api(d.sock, 'POST', '/build/prune')).body);
  assert.ok(pruned.CachesDeleted?.length >= 1, JSON.stringify(pruned));
  assert.equal(ok(['run', '--rm', 'quiet:1', 'cat', '/q']), 'q\n', 'a tagged image and its steps stay');
});

test('wharf build builds as docker build does', () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nCOPY f /f\nCMD ["cat", "/f"]\n', f: 'from wharf\n' });
  const r = d.wharf(['build', '-t', 'wb:1', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Successfully tagged wb:1/);
  assert.equal(ok(['run', '--rm', 'wb:1']), 'from wharf\n');
  const failing = context({ Dockerfile: 'FROM busybox\nRUN exit 5\n' });
  const f = d.wharf(['build', failing]);
  assert.equal(f.code, 5);
  assert.match(f.stderr, /returned a non-zero code: 5/);
});

test('a daemon killed in the middle of a build: the build is recorded as failed, its scratch is gone, the cache before it is kept', async (t) => {
  const c = new TestDaemon();
  t.after(() => c.cleanup());
  await c.start([], { WHARF_CRASH_AT: 'build.copying' });
  c.importBusybox();
  const dir = mkdtempSync(path.join(c.dir, 'ctx-'));
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN echo one > /one\nCOPY f /f\nCMD ["cat", "/f"]\n');
  writeFileSync(path.join(dir, 'f'), 'copied\n');
  const r = runSync(DOCKER, ['build', '-t', 'crashed:1', dir], c.env, { timeoutMs: 60_000 });
  assert.notEqual(r.code, 0);
  await c.exited();
  await c.start();
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(path.join(c.dataRoot, 'builds')));
  assert.deepEqual(mounts, []);
  assert.deepEqual(readdirSync(path.join(c.dataRoot, 'builds')), []);
  assert.equal(c.docker(['image', 'inspect', 'crashed:1']).code, 1);
  const builds = JSON.parse(c.wharfOk(['journal', 'builds', '--json']));
  assert.equal(builds.length, 1);
  assert.equal(builds[0].result, 'failed');
  assert.equal(builds[0].error, 'the daemon stopped during the build');
  assert.deepEqual(builds[0].steps.map((s: { step: number }) => s.step), [1, 2]);
  // The RUN step before the crash is reused; the build completes.
  const again = runSync(DOCKER, ['build', '-t', 'crashed:1', dir], c.env, { timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 1);
  assert.equal(c.dockerOk(['run', '--rm', 'crashed:1']), 'copied\n');
  const audit = c.wharfOk(['journal', 'builds']);
  assert.match(audit, /finished/);
  assert.match(audit, /cache [0-9a-f]{12}  RUN echo one > \/one/);
  assert.equal(c.wharfOk(['journal', 'verify']).startsWith('journal intact'), true);
});

test('contexts: a Dockerfile on stdin, a tar on stdin, a tarball URL, a plain Dockerfile URL', async (t) => {
  const viaStdin = runSync(DOCKER, ['build', '-t', 'stdin:1', '-'], d.env, { input: 'FROM busybox\nRUN echo from-stdin > /s\n', timeoutMs: 60_000 });
  assert.equal(viaStdin.code, 0, viaStdin.stderr);
  assert.equal(ok(['run', '--rm', 'stdin:1', 'cat', '/s']), 'from-stdin\n');
  const dir = context({ Dockerfile: 'FROM busybox\nCOPY hello /hello\n', hello: 'tarred\n' });
  const tarball = path.join(d.dir, 'ctx.tar.gz');
  assert.equal(spawnSync('tar', ['-czf', tarball, '-C', dir, '.']).status, 0);
  const tarIn = runSync(DOCKER, ['build', '-t', 'stdin:2', '-'], d.env, { input: readFileSync(tarball), timeoutMs: 60_000 });
  assert.equal(tarIn.code, 0, tarIn.stderr);
  assert.equal(ok(['run', '--rm', 'stdin:2', 'cat', '/hello']), 'tarred\n');
  // The daemon fetches a remote context itself (a server on loopback).
  const server = http.createServer((req, res) => {
    if (req.url === '/ctx.tar.gz') return res.end(readFileSync(tarball));
    if (req.url === '/Dockerfile') return res.end('FROM busybox\nENV FROM_URL=1\n');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  // The server lives in this process: the builds run asynchronously so it can answer.
  const buildAsync = (args: string[]) => runAsync(DOCKER, ['build', ...args], d.env).done;
  const r1 = await buildAsync(['-t', 'remote:1', `http://127.0.0.1:${port}/ctx.tar.gz`]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(ok(['run', '--rm', 'remote:1', 'cat', '/hello']), 'tarred\n');
  const r2 = await buildAsync(['-t', 'remote:2', `http://127.0.0.1:${port}/Dockerfile`]);
  assert.equal(r2.code, 0, r2.stderr);
  assert.match(ok(['image', 'inspect', '-f', '{{json .Config.Env}}', 'remote:2']), /FROM_URL=1/);
  const missing = await buildAsync(['-t', 'remote:3', `http://127.0.0.1:${port}/nope.tar`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /404/);
});

test('FROM pulls a missing base image from a registry; --pull pulls again', async (t) => {
  const registry = await TestRegistry.start();
  t.after(() => registry.stop());
  const base = `${registry.host}/base/busybox:1`;
  ok(['tag', 'busybox', base]);
  ok(['push', base]);
  ok(['rmi', base]);
  const dir = context({ Dockerfile: `FROM ${base}\nRUN echo pulled > /p\n` });
  const out = buildOk(['-t', 'pulled:1', dir]);
  assert.match(out, /Pulling from base\/busybox/);
  assert.equal(ok(['run', '--rm', 'pulled:1', 'cat', '/p']), 'pulled\n');
  const again = buildOk(['--pull', '-t', 'pulled:2', dir]);
  assert.match(again, /Image is up to date for|Pulling from/);
  assert.match(again, /Using cache/);
  const unknown = build([context({ Dockerfile: `FROM ${registry.host}/nope/none:1\n` })]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /manifest unknown|not found/);
});

test('RUN steps get the build network and limits: --network host|none, --memory', () => {
  const ctx = context({ Dockerfile: 'FROM busybox\nRUN ls /sys/class/net | sort > /nets; cat /sys/fs/cgroup/memory/memory.limit_in_bytes > /mem 2>/dev/null || cat /sys/fs/cgroup/memory.max > /mem\n' });
  buildOk(['--network', 'host', '--memory', '64m', '-t', 'net:host', ctx]);
  const hostNets = readdirSync('/sys/class/net').sort().join('\n');
  assert.equal(ok(['run', '--rm', 'net:host', 'cat', '/nets']).trim(), hostNets);
  assert.equal(ok(['run', '--rm', 'net:host', 'cat', '/mem']).trim(), '67108864');
  buildOk(['--no-cache', '--network', 'none', '-t', 'net:none', ctx]);
  assert.equal(ok(['run', '--rm', 'net:none', 'cat', '/nets']).trim(), 'lo');
  assert.notEqual(ok(['run', '--rm', 'net:none', 'cat', '/mem']).trim(), '67108864');
  // --add-host (extrahosts, repeated) reaches the RUN containers' /etc/hosts; -t repeated tags each.
  const hosts = context({ Dockerfile: 'FROM busybox\nRUN grep test /etc/hosts > /h\n' });
  buildOk(['--add-host', 'a.test:127.0.0.7', '--add-host', 'b.test:127.0.0.8', '-t', 'hosts:1', '-t', 'hosts:2', hosts]);
  assert.equal(ok(['run', '--rm', 'hosts:2', 'cat', '/h']), '127.0.0.7\ta.test\n127.0.0.8\tb.test\n');
  assert.equal(ok(['image', 'inspect', '-f', '{{.Id}}', 'hosts:1']), ok(['image', 'inspect', '-f', '{{.Id}}', 'hosts:2']));
  const bad = build(['--network', 'nosuchnet', '--no-cache', ctx]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /network nosuchnet not found/);
});
