import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { api, BUSYBOX_TAR, eventually, runAsync, DOCKER, TestDaemon } from './helpers/wharfd';

// The real docker CLI (28.x) drives a real wharfd: what a user types, what a user sees.
const d = new TestDaemon();
before(async () => {
  await d.start();
});
after(async () => {
  await d.cleanup();
});

describe('system', () => {
  test('docker version and info talk to wharfd', () => {
    const v = d.docker(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}']);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.stdout.trim(), '0.1.0 1.50 1.9');
    const i = d.docker(['info', '--format', '{{.Driver}} {{.OSType}} {{.DockerRootDir}}']);
    assert.equal(i.code, 0, i.stderr);
    assert.equal(i.stdout.trim(), `overlay2 linux ${d.dataRoot}`);
  });

  test('_ping answers GET and HEAD with Docker\'s headers; version prefixes are negotiated', async () => {
    const ping = await api(d.sock, 'GET', '/_ping');
    assert.equal(ping.body, 'OK');
    assert.equal(ping.headers['api-version'], '1.50');
    assert.equal(ping.headers['ostype'], 'linux');
    assert.equal((await api(d.sock, 'HEAD', '/_ping')).status, 200);
    assert.equal((await api(d.sock, 'GET', '/v1.24/version')).status, 200);
    assert.equal((await api(d.sock, 'GET', '/version')).status, 200);
    assert.equal((await api(d.sock, 'GET', '/v1.9/version')).status, 200);
    // Too old: dockerd's words, as plain text (the form of errors before API 1.24).
    const old = await api(d.sock, 'GET', '/v1.8/version');
    assert.equal(old.status, 400);
    assert.equal(old.body, 'client version 1.8 is too old. Minimum supported API version is 1.9, please upgrade your client to a newer version\n');
  });
});

describe('images', () => {
  test('docker import from a file, then images and image inspect show it', () => {
    const r = d.docker(['import', BUSYBOX_TAR, 'busybox:latest']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    const ls = d.docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout.trim(), `busybox:latest ${r.stdout.trim().slice(7, 19)}`);
    const insp = JSON.parse(d.docker(['image', 'inspect', 'busybox']).stdout)[0];
    assert.equal(insp.Id, r.stdout.trim());
    assert.deepEqual(insp.RepoTags, ['busybox:latest']);
    assert.equal(insp.RootFS.Type, 'layers');
    assert.equal(insp.RootFS.Layers.length, 1);
    assert.equal(insp.Os, 'linux');
  });

  test('docker import from stdin, tag, rmi untags then deletes', () => {
    const r = d.docker(['import', '-', 'scratchy:v1'], { input: readFileSync(BUSYBOX_TAR) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.docker(['tag', 'scratchy:v1', 'scratchy:v2']).code, 0);
    const one = d.docker(['rmi', 'scratchy:v1']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout.trim(), 'Untagged: scratchy:v1');
    const two = d.docker(['rmi', 'scratchy:v2']);
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout.trim(), `Untagged: scratchy:v2\nDeleted: ${r.stdout.trim()}`);
    const gone = d.docker(['image', 'inspect', 'scratchy:v2']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /No such image: scratchy:v2/);
  });

  test('rmi of an image a container uses is refused (409)', () => {
    d.docker(['create', '--name', 'holder', 'busybox', 'true']);
    const r = d.docker(['rmi', 'busybox']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: conflict: unable to remove repository reference "busybox" \(must force\) - container [0-9a-f]{12} is using its referenced image/);
    assert.equal(d.docker(['rm', 'holder']).code, 0);
  });
});

describe('run', () => {
  test('docker run --rm prints the output and removes the container', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'echo', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  });

  test('the exit code is the CLI\'s; stdout and stderr stay apart', () => {
    const r = d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('-e, -w, -u, -h, --entrypoint, --name reach the process', () => {
    const r = d.docker(['run', '--rm', '--name', 'opts', '-e', 'FOO=bar', '-w', '/tmp/work', '-u', 'nobody', '-h', 'myhost', 'busybox', 'sh', '-c', 'echo $FOO; pwd; id -u; id -g; hostname']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'bar\n/tmp/work\n65534\n65534\nmyhost\n');
    const g = d.docker(['run', '--rm', '-u', 'nobody:wheel', 'busybox', 'id', '-g']);
    assert.equal(g.stdout.trim(), '10');
    const ep = d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint']);
    assert.equal(ep.stdout, 'from entrypoint\n');
  });

  test('a container is isolated: pid 1 is its command, hostname is its short id', () => {
    const r = d.docker(['run', '-d', 'busybox', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; hostname; ls /proc | grep -c "^[0-9]"']);
    const id = r.stdout.trim();
    assert.equal(d.docker(['wait', id]).stdout.trim(), '0');
    const [cmd, host, npids] = d.docker(['logs', id]).stdout.trim().split('\n');
    assert.match(cmd, /^sh -c cat \/proc\/1\/cmdline/);
    assert.equal(host, id.slice(0, 12));
    assert.ok(Number(npids) <= 4, `sees only its own processes, saw ${npids}`);
    d.docker(['rm', id]);
  });

  test('an unknown user or a missing binary fails like Docker', () => {
    const u = d.docker(['run', '--rm', '-u', 'alice', 'busybox', 'true']);
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /unable to find user alice: no matching entries in passwd file/);
    const m = d.docker(['run', '--name', 'nobin', 'busybox', 'no-such-binary']);
    assert.equal(m.code, 127);
    assert.match(m.stderr, /executable file not found in \$PATH/);
    const st = JSON.parse(d.docker(['inspect', 'nobin']).stdout)[0].State;
    assert.equal(st.Status, 'created');
    assert.equal(st.ExitCode, 127);
    assert.equal(d.docker(['rm', 'nobin']).code, 0);
    d.docker(['rm', '-f', ...d.docker(['ps', '-aq']).stdout.split('\n').filter(Boolean)]);
  });
});

describe('container lifecycle', () => {
  test('run -d, ps, logs, stop, start, kill, wait, inspect, rm', async () => {
    const r = d.docker(['run', '-d', '--name', 'life', 'busybox', 'sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(d.docker(['ps', '-q']).stdout.trim(), id.slice(0, 12));
    assert.match(d.docker(['ps']).stdout, /life\n$/);
    await eventually(() => d.docker(['logs', 'life']).stdout.includes('line2'), 10_000, 'log lines');
    const tail = d.docker(['logs', '--tail', '1', 'life']).stdout.trim().split('\n');
    assert.equal(tail.length, 1);
    const ts = d.docker(['logs', '-t', '--tail', '1', 'life']).stdout.trim();
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line\d+$/);
    // logs -f follows until the container stops
    const f = runAsync(DOCKER, ['logs', '-f', 'life'], d.env);
    const insp = JSON.parse(d.docker(['inspect', 'life']).stdout)[0];
    assert.equal(insp.Id, id);
    assert.equal(insp.Name, '/life');
    assert.equal(insp.State.Status, 'running');
    assert.equal(insp.State.Running, true);
    assert.ok(insp.State.Pid > 0);
    assert.equal(insp.Path, 'sh');
    assert.deepEqual(insp.Args.slice(0, 1), ['-c']);
    assert.equal(insp.Config.Image, 'busybox');
    assert.match(insp.Image, /^sha256:/);
    const stop = d.docker(['stop', '-t', '1', 'life']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout.trim(), 'life');
    const followed = await f.done;
    assert.equal(followed.code, 0);
    assert.match(followed.stdout, /line0\nline1\n/);
    assert.match(d.docker(['ps', '-a']).stdout, /Exited \(137\)/);
    assert.equal(d.docker(['wait', 'life']).stdout.trim(), '137');
    assert.equal(d.docker(['start', 'life']).stdout.trim(), 'life');
    assert.equal(JSON.parse(d.docker(['inspect', 'life']).stdout)[0].State.Status, 'running');
    const w = runAsync(DOCKER, ['wait', 'life'], d.env);
    assert.equal(d.docker(['kill', 'life']).code, 0);
    assert.equal((await w.done).stdout.trim(), '137');
    assert.equal(d.docker(['rm', 'life']).stdout.trim(), 'life');
    assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  });

  test('rm -f removes a running container; short ids and prefixes resolve', () => {
    const id = d.docker(['run', '-d', 'busybox', 'sleep', '60']).stdout.trim();
    const short = id.slice(0, 5);
    assert.equal(JSON.parse(d.docker(['inspect', short]).stdout)[0].Id, id);
    const refused = d.docker(['rm', short]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot remove container "\/[a-z_0-9]+": container is running: stop the container before removing or force remove/);
    assert.equal(d.docker(['rm', '-f', short]).code, 0);
    assert.equal(d.docker(['ps', '-aq']).stdout.trim(), '');
  });

  test('events --since/--until replay the history in Docker\'s shape', () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    d.docker(['run', '--name', 'ev', 'busybox', 'sh', '-c', 'exit 4']);
    d.docker(['rm', 'ev']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = d.docker(['events', '--since', String(since), '--until', String(until), '--format', '{{json .}}', '--filter', 'container=ev']);
    assert.equal(r.code, 0, r.stderr);
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(evs.map((e) => e.Action), ['create', 'start', 'die', 'destroy']);
    const die = evs[2];
    assert.equal(die.Type, 'container');
    assert.equal(die.Actor.Attributes.exitCode, '4');
    assert.equal(die.Actor.Attributes.name, 'ev');
    assert.equal(die.Actor.Attributes.image, 'busybox');
    assert.equal(typeof die.time, 'number');
    assert.equal(String(die.timeNano).slice(0, 10), String(die.time));
  });

  test('docker events streams live events', async () => {
    const s = runAsync(DOCKER, ['events', '--format', '{{.Action}} {{.Actor.Attributes.name}}', '--filter', 'container=live'], d.env);
    await new Promise((r) => setTimeout(r, 300));
    d.docker(['run', '--rm', '--name', 'live', 'busybox', 'true']);
    let out = '';
    s.proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(() => /destroy live/.test(out), 10_000, 'live events');
    s.proc.kill();
    await s.done;
    // As dockerd 20.10 streams an attached `run --rm` (measured): attach between create and start.
    assert.match(out, /create live\nattach live\nstart live\ndie live\ndestroy live/);
  });
});

describe('bad input', () => {
  test('Docker\'s status codes and messages; the daemon keeps serving', async () => {
    const bad = await api(d.sock, 'POST', '/v1.50/containers/create', '{"Image": "busybox", ', { 'Content-Type': 'application/json' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).message, 'unexpected EOF'); // Go's decoder, as dockerd answers it
    const noimg = d.docker(['create', 'nosuchimage:1']);
    assert.notEqual(noimg.code, 0);
    assert.match(noimg.stderr, /No such image|Unable to find image/);
    const noctr = d.docker(['inspect', 'nosuch']);
    assert.equal(noctr.code, 1);
    assert.match(noctr.stderr, /No such (container|object): nosuch/);
    const rmno = d.docker(['rm', 'nosuch']);
    assert.match(rmno.stderr, /Error response from daemon: No such container: nosuch/);
    const badref = await api(d.sock, 'POST', '/v1.50/images/busybox/tag?repo=Bad%20Name', '');
    assert.equal(badref.status, 400);
    assert.match(JSON.parse(badref.body).message, /invalid reference format/);
    d.docker(['create', '--name', 'taken', 'busybox', 'true']);
    const clash = d.docker(['create', '--name', 'taken', 'busybox', 'true']);
    assert.notEqual(clash.code, 0);
    assert.match(clash.stderr, /Conflict. The container name "\/taken" is already in use by container "[0-9a-f]{64}". You have to remove \(or rename\) that container to be able to reuse that name./);
    d.docker(['rm', 'taken']);
    const id = d.docker(['run', '-d', 'busybox', 'sleep', '60']).stdout.trim();
    const again = await api(d.sock, 'POST', `/v1.50/containers/${id}/start`);
    assert.equal(again.status, 304);
    assert.equal(d.docker(['rm', '-f', id]).code, 0);
    const kill = d.docker(['kill', 'nosuch']);
    assert.match(kill.stderr, /No such container: nosuch/);
    assert.equal((await api(d.sock, 'GET', '/_ping')).status, 200);
  });
});
