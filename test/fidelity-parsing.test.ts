import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { api, BUSYBOX_TAR, daemonForFile } from './helpers/wharfd';

/**
 * Issue 11, "Request parsing": requests are read as dockerd (20.10, Go's encoding/json)
 * reads them. Each expectation was taken from a dockerd 20.10 given the same request.
 */
const d = daemonForFile();
const json = { 'Content-Type': 'application/json' };
const C = '"Image":"busybox","Cmd":["true"]';

const inspect = (what: string) => JSON.parse(d.dockerOk(['inspect', what]))[0];
const message = (r: { body: string }) => JSON.parse(r.body).message as string;

/** What a user can list: a refused request must leave all of it as it was. */
function listings(): string {
  return [
    d.dockerOk(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']),
    d.dockerOk(['volume', 'ls', '--format', '{{.Name}}']),
    d.dockerOk(['images', '-a', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
  ].join('\n');
}

describe('request parsing as Docker does it', () => {
  it('matches JSON keys to struct fields case-insensitively, and keeps map keys as sent', async () => {
    // docker-py sends "detachKeys"; Go's decoder takes any case for a field (an exact name first).
    const r = await api(
      d.sock,
      'POST',
      '/containers/create?name=lower',
      '{"image":"busybox","CMD":["sleep","100"],"labels":{"AbC":"x"},"Env":["A=1"],"exposedports":{"80/TCP":{}},' +
        '"hostconfig":{"memory":10000000,"restartpolicy":{"name":"on-failure","maximumretrycount":2},"tmpfs":{"/Run":""}},' +
        '"healthcheck":{"test":["CMD","true"],"interval":2000000000}}',
      json,
    );
    assert.equal(r.status, 201, r.body);
    const c = inspect('lower');
    assert.equal(c.Config.Image, 'busybox');
    assert.deepEqual(c.Config.Cmd, ['sleep', '100']);
    assert.deepEqual(c.Config.Labels, { AbC: 'x' });
    assert.deepEqual(Object.keys(c.Config.ExposedPorts), ['80/TCP']);
    assert.equal(c.HostConfig.Memory, 10000000);
    assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    assert.deepEqual(c.HostConfig.Tmpfs, { '/Run': '' });
    assert.equal(c.Config.Healthcheck.Interval, 2000000000);

    // update, exec create and start, commit, volume create: every body.
    const u = await api(d.sock, 'POST', '/containers/lower/update', '{"memory":20000000,"cpushares":512}', json);
    assert.equal(u.status, 200, u.body);
    assert.equal(inspect('lower').HostConfig.Memory, 20000000);
    assert.equal(inspect('lower').HostConfig.CpuShares, 512);

    d.dockerOk(['start', 'lower']);
    const x = await api(d.sock, 'POST', '/containers/lower/exec', '{"cmd":["sh","-c","echo $XY"],"env":["XY=from-env"],"detachKeys":"ctrl-x","attachStdout":true}', json);
    assert.equal(x.status, 201, x.body);
    const execId = JSON.parse(x.body).Id;
    const xi = JSON.parse((await api(d.sock, 'GET', `/exec/${execId}/json`)).body);
    assert.deepEqual([xi.ProcessConfig.entrypoint, ...xi.ProcessConfig.arguments], ['sh', '-c', 'echo $XY']);
    assert.equal(xi.OpenStdout, true);
    const s = await api(d.sock, 'POST', `/exec/${execId}/start`, '{"detach":false,"tty":true}', json);
    assert.equal(s.status, 200);
    assert.equal(s.body.trim(), 'from-env'); // tty: a raw stream, no frames

    const cm = await api(d.sock, 'POST', '/commit?container=lower&repo=lowered', '{"cmd":["echo","committed"],"labels":{"Kept":"1"}}', json);
    assert.equal(cm.status, 201, cm.body);
    assert.deepEqual(inspect('lowered').Config.Cmd, ['echo', 'committed']);
    assert.deepEqual(inspect('lowered').Config.Labels, { AbC: 'x', Kept: '1' });

    const v = await api(d.sock, 'POST', '/volumes/create', '{"name":"lowvol","labels":{"Mixed.Case":"v"}}', json);
    assert.equal(v.status, 201, v.body);
    assert.deepEqual(JSON.parse(d.dockerOk(['volume', 'inspect', 'lowvol']))[0].Labels, { 'Mixed.Case': 'v' });

    // A field given twice (two spellings): decoded twice, the later value wins and structs merge, as in Go.
    const twice = await api(d.sock, 'POST', '/containers/create?name=twice', '{"Image":"busybox","Cmd":["true"],"cmd":["false"],"HostConfig":{"Memory":10000000},"hostconfig":{"CpuShares":3}}', json);
    assert.equal(twice.status, 201, twice.body);
    assert.deepEqual(inspect('twice').Config.Cmd, ['false']);
    assert.equal(inspect('twice').HostConfig.Memory, 10000000);
    assert.equal(inspect('twice').HostConfig.CpuShares, 3);

    // A wrong value under another spelling is named by its field, as Go names it.
    const bad = await api(d.sock, 'POST', '/containers/create', '{"image":"busybox","hostconfig":{"memory":"x"}}', json);
    assert.equal(bad.status, 400);
    assert.equal(message(bad), 'json: cannot unmarshal string into Go struct field HostConfig.HostConfig.Memory of type int64');

    d.dockerOk(['rm', '-f', 'lower', 'twice']);
    d.dockerOk(['rmi', 'lowered']);
    d.dockerOk(['volume', 'rm', 'lowvol']);
  });

  it('takes null healthcheck durations as unset, as 0 is', async () => {
    const r = await api(
      d.sock,
      'POST',
      '/containers/create?name=hcnull',
      `{${C},"Healthcheck":{"Test":["CMD","true"],"Interval":null,"Timeout":null,"StartPeriod":null,"StartInterval":null,"Retries":null}}`,
      json,
    );
    assert.equal(r.status, 201, r.body);
    assert.deepEqual(inspect('hcnull').Config.Healthcheck.Test, ['CMD', 'true']);
    d.dockerOk(['rm', 'hcnull']);
  });

  it('refuses an empty body where dockerd needs one, with its message', async () => {
    d.dockerOk(['create', '--name', 'eof', 'busybox', 'sleep', '100']);
    const before = listings();
    const EOF = 'got EOF while reading request body';
    const cases: [string, string][] = [
      ['/containers/eof/exec', EOF],
      ['/exec/abc/start', EOF],
      ['/networks/create', EOF],
      ['/networks/bridge/connect', EOF],
      ['/networks/bridge/disconnect', EOF],
      ['/volumes/create', EOF],
      // dockerd 20.10 reports these with the decoder's own error (and status 500; 400 from later versions on).
      ['/containers/create', 'EOF'],
      ['/containers/eof/update', 'EOF'],
      ['/auth', 'EOF'],
    ];
    for (const [p, want] of cases) {
      for (const body of [undefined, '', ' \n']) {
        const r = await api(d.sock, 'POST', p, body, body === undefined ? {} : json);
        assert.equal(r.status, 400, `${p} ${JSON.stringify(body)}: ${r.body}`);
        assert.equal(message(r), want, `${p} ${JSON.stringify(body)}`);
      }
    }
    // "null" and "{}" are bodies: a volume is made of them, as dockerd makes one.
    const v = await api(d.sock, 'POST', '/volumes/create', 'null', json);
    assert.equal(v.status, 201, v.body);
    // commit takes no body at all.
    const cm = await api(d.sock, 'POST', '/commit?container=eof&repo=nobody');
    assert.equal(cm.status, 201, cm.body);
    d.dockerOk(['rmi', 'nobody']);
    d.dockerOk(['volume', 'rm', JSON.parse(v.body).Name]);
    assert.equal(listings(), before);
    d.dockerOk(['rm', 'eof']);
  });

  it("refuses bad Env entries, tmpfs targets, platforms, sha256 tags and missing VolumesFrom with dockerd's status and message", async () => {
    d.dockerOk(['create', '--name', 'src', 'busybox', 'true']);
    const before = listings();
    const cases: [string, string, string | undefined, number, string][] = [
      ['POST', '/containers/create', `{${C},"Env":[""]}`, 400, 'invalid environment variable: '],
      ['POST', '/containers/create', `{${C},"Env":["A=1","="]}`, 400, 'invalid environment variable: ='],
      ['POST', '/containers/create', `{${C},"Env":["=foo"]}`, 400, 'invalid environment variable: =foo'],
      ['POST', '/containers/create', `{${C},"HostConfig":{"Tmpfs":{"/":""}}}`, 400, "invalid specification: destination can't be '/'"],
      ['POST', '/containers/create', `{${C},"HostConfig":{"Tmpfs":{"//":""}}}`, 400, "invalid specification: destination can't be '/'"],
      ['POST', '/containers/create', `{${C},"HostConfig":{"Tmpfs":{"/a/../":""}}}`, 400, "invalid specification: destination can't be '/'"],
      ['POST', '/containers/create', `{${C},"HostConfig":{"Tmpfs":{"rel":""}}}`, 400, "invalid mount path: 'rel' mount path must be absolute"],
      ['POST', '/containers/create', `{${C},"HostConfig":{"VolumesFrom":["nope"]}}`, 400, 'No such container: nope'],
      ['POST', '/containers/create?platform=foo', `{${C}}`, 400, '"foo": unknown operating system or architecture: invalid argument'],
      ['POST', '/containers/create?platform=a/b/c/d', `{${C}}`, 400, '"a/b/c/d": cannot parse platform specifier: invalid argument'],
      ['POST', '/containers/create?platform=linux/', `{${C}}`, 400, '"" is an invalid component of "linux/": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument'],
      ['POST', '/containers/create?platform=*', `{${C}}`, 400, '"*": wildcards not yet supported: invalid argument'],
      // A well-formed platform that is not the image's: the image asked for is not there (404).
      ['POST', '/containers/create?platform=windows', `{${C}}`, 404, 'image with reference busybox was found but does not match the specified platform: wanted windows/amd64, actual: linux/amd64'],
      ['POST', '/containers/create?platform=linux/arm64', `{${C}}`, 404, 'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64'],
      ['POST', '/images/create?fromImage=busybox&tag=latest&platform=foo', undefined, 400, '"foo": unknown operating system or architecture: invalid argument'],
      ['POST', '/images/create?fromImage=busybox&tag=latest&platform=a%20b', undefined, 400, '"a b" is an invalid component of "a b": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument'],
      ['POST', '/images/busybox/tag?repo=sha256&tag=sometag', undefined, 400, 'refusing to create an ambiguous tag using digest algorithm as name'],
      ['POST', '/images/busybox/tag?repo=x&tag=sha256:sometag', undefined, 400, 'invalid tag format'],
      ['POST', '/commit?container=src&repo=sha256&tag=x', undefined, 400, 'refusing to create an ambiguous tag using digest algorithm as name'],
    ];
    for (const [method, p, body, status, want] of cases) {
      const r = await api(d.sock, method, p, body, body === undefined ? {} : json);
      assert.equal(r.status, status, `${p} ${body}: ${r.body}`);
      assert.equal(message(r), want, `${p} ${body}`);
    }
    // The docker CLI's own spelling of the tag.
    const t = d.docker(['tag', 'busybox', 'sha256:sometag']);
    assert.notEqual(t.code, 0);
    assert.match(t.stderr, /refusing to create an ambiguous tag using digest algorithm as name/);
    assert.equal(listings(), before);
    // Accepted as dockerd accepts them: a variant it does not compare, an alias of amd64.
    for (const p of ['linux/amd64/v3', 'x86_64', 'linux']) {
      const r = await api(d.sock, 'POST', `/containers/create?platform=${p}`, `{${C}}`, json);
      assert.equal(r.status, 201, `${p}: ${r.body}`);
      d.dockerOk(['rm', JSON.parse(r.body).Id]);
    }
    d.dockerOk(['rm', 'src']);
  });

  it('normalises index.docker.io to docker.io, as the reference parser does', async () => {
    const id = inspect('busybox:latest').Id;
    for (const ref of ['index.docker.io/busybox:latest', 'index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'docker.io/busybox']) {
      assert.equal(inspect(ref).Id, id, ref);
    }
    const other = await api(d.sock, 'GET', '/images/registry-1.docker.io/library/busybox/json');
    assert.equal(other.status, 404); // another registry's name, as in Docker
    d.dockerOk(['tag', 'index.docker.io/busybox', 'index.docker.io/aliased:1']);
    assert.match(d.dockerOk(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^aliased:1$/m);
    d.dockerOk(['rmi', 'aliased:1']);
  });

  it('prunes named volumes too at API versions below 1.42', async () => {
    for (const n of ['named-a', 'named-b']) d.dockerOk(['volume', 'create', n]);
    const now = await api(d.sock, 'POST', '/v1.43/volumes/prune');
    assert.equal(now.status, 200, now.body);
    assert.deepEqual(JSON.parse(now.body).VolumesDeleted, []);
    const old = await api(d.sock, 'POST', '/v1.41/volumes/prune');
    assert.equal(old.status, 200, old.body);
    assert.deepEqual(JSON.parse(old.body).VolumesDeleted.sort(), ['named-a', 'named-b']);
    assert.equal(d.dockerOk(['volume', 'ls', '-q']).trim(), '');
  });

  it('reports a failed load in the stream (200), and a failed import as an HTTP error', async () => {
    const before = listings();
    const garbage = randomBytes(3000);
    const load = await api(d.sock, 'POST', '/images/load', garbage, { 'Content-Type': 'application/x-tar' });
    assert.equal(load.status, 200);
    const line = JSON.parse(load.body.trim());
    assert.equal(line.error, 'Error processing tar file(exit status 1): archive/tar: invalid tar header');
    assert.deepEqual(line.errorDetail, { message: line.error });
    const cut = await api(d.sock, 'POST', '/images/load', readFileSync(BUSYBOX_TAR).subarray(0, 1000), { 'Content-Type': 'application/x-tar' });
    assert.equal(JSON.parse(cut.body.trim()).error, 'Error processing tar file(exit status 1): unexpected EOF');

    const imp = await api(d.sock, 'POST', '/images/create?fromSrc=-&repo=garbage', garbage, { 'Content-Type': 'application/x-tar' });
    assert.equal(imp.status, 500);
    assert.equal(message(imp), 'Error processing tar file(exit status 1): archive/tar: invalid tar header');
    const cli = d.docker(['import', '-', 'garbage'], { input: garbage });
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /Error response from daemon: Error processing tar file\(exit status 1\): archive\/tar: invalid tar header/);
    assert.equal(listings(), before);
  });
});
