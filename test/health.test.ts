import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { api, daemonForFile, eventually, sleep } from './helpers/wharfd';

// Health checks with the real docker CLI: probes run in the container, the status follows
// them (inspect, ps, health_status events), and probing goes on after a daemon restart.
const d = daemonForFile();

const ok = (args: string[]) => d.dockerOk(args);
const records = async () => (JSON.parse((await api(d.sock, 'GET', '/wharf/v1/journal/verify')).body) as { Records: number; ViewsMatch: boolean });
const health = (name: string) => JSON.parse(ok(['inspect', '-f', '{{json .State.Health}}', name])) as { Status: string; FailingStreak: number; Log: { Start: string; ExitCode: number; Output: string }[] };

describe('health checks', () => {
  test('a failing check turns unhealthy after the retries, a passing one healthy; ps, filters and events show it', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    ok(['run', '-d', '--name', 'hc', '--health-cmd', 'cat /tmp/ready', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '1000']);
    assert.equal(health('hc').Status, 'starting');
    assert.match(ok(['ps', '--filter', 'name=hc', '--format', '{{.Status}}']), /\(health: starting\)/);
    await eventually(() => health('hc').Status === 'unhealthy', 10_000, 'unhealthy');
    const h = health('hc');
    assert.ok(h.FailingStreak >= 2);
    assert.equal(h.Log.at(-1)?.ExitCode, 1);
    assert.match(h.Log.at(-1)?.Output ?? '', /can't open '\/tmp\/ready'/);
    ok(['exec', 'hc', 'sh', '-c', 'echo up > /tmp/ready']);
    await eventually(() => health('hc').Status === 'healthy', 10_000, 'healthy');
    assert.equal(health('hc').Log.at(-1)?.Output, 'up\n');
    assert.ok(health('hc').Log.length <= 5, 'the last five probes are kept');
    assert.match(ok(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}']), /^hc Up .* \(healthy\)$/m);
    assert.equal(ok(['ps', '-q', '--filter', 'health=unhealthy']).trim(), '');
    const ev = ok(['events', '--since', String(since), '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=health_status', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.deepEqual(ev.trim().split('\n'), ['health_status: unhealthy hc', 'health_status: healthy hc']);
    const cfg = JSON.parse(ok(['inspect', '-f', '{{json .Config.Healthcheck}}', 'hc'])) as { Test: string[]; Retries: number };
    assert.deepEqual(cfg.Test, ['CMD-SHELL', 'cat /tmp/ready']);
    assert.equal(cfg.Retries, 2);
  });

  test('a probe past its timeout fails with Docker\'s message; --no-healthcheck has no health', async () => {
    ok(['run', '-d', '--name', 'slow', '--health-cmd', 'sleep 5', '--health-interval', '300ms', '--health-timeout', '200ms', '--health-retries', '1', 'busybox', 'sleep', '1000']);
    await eventually(() => health('slow').Status === 'unhealthy', 10_000, 'unhealthy by timeout');
    const last = health('slow').Log.at(-1)!;
    assert.equal(last.ExitCode, -1);
    assert.match(last.Output, /Health check exceeded timeout \(200ms\)/);
    ok(['rm', '-f', 'slow']);
    ok(['run', '-d', '--name', 'none', '--no-healthcheck', 'busybox', 'sleep', '1000']);
    assert.equal(ok(['inspect', '-f', '{{json .State.Health}}', 'none']).trim(), 'null');
    assert.match(ok(['ps', '--filter', 'name=none', '--format', '{{.Status}}']), /^Up [^(]*$/m);
    ok(['rm', '-f', 'none']);
  });

  test('a probe that changes nothing is not a journal record; the probe log is in health.json', async () => {
    const id = ok(['inspect', '-f', '{{.Id}}', 'hc']).trim();
    assert.equal(health('hc').Status, 'healthy');
    const before = await records();
    const lastStart = health('hc').Log.at(-1)!.Start;
    await eventually(() => health('hc').Log.filter((p) => p.Start > lastStart).length >= 4, 10_000, 'four more probes');
    const after = await records();
    assert.equal(after.Records, before.Records, 'passing probes of a healthy container write nothing to the journal');
    assert.ok(after.ViewsMatch, 'the views rebuilt from the journal equal the live ones');
    const file = JSON.parse(readFileSync(path.join(d.dataRoot, 'containers', id, 'health.json'), 'utf8')) as { log: { Start: string }[] };
    assert.ok(file.log.length === 5 && file.log.at(-1)!.Start >= health('hc').Log.at(-2)!.Start, 'health.json holds the last probes');
  });

  test('the status and the probe log survive a kill -9 of the daemon and probing goes on', async () => {
    const logBefore = health('hc').Log;
    assert.equal(logBefore.length, 5);
    await d.kill9();
    await d.start();
    assert.equal(health('hc').Status, 'healthy');
    const logAfter = health('hc').Log;
    assert.ok(logAfter.length === 5, 'five probes after the restart');
    // A probe or two may have run between the reads (one before the kill, one after the start): the last one seen before is still among the five.
    assert.ok(logAfter.map((p) => p.Start).includes(logBefore.at(-1)!.Start), 'the log is the one written before the kill');
    const records0 = (await records()).Records;
    ok(['exec', 'hc', 'rm', '/tmp/ready']);
    await eventually(() => health('hc').Status === 'unhealthy', 10_000, 'unhealthy after the restart');
    await sleep(700);
    // Only the change of status (and the exec's records) were journaled, not every failing probe.
    const grown = (await records()).Records - records0;
    assert.ok(grown >= 1 && grown <= 4, `${grown} records for an exec and one change of status`);
    ok(['rm', '-f', 'hc']);
  });
});
