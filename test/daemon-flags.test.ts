import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { eventually, ROOT, sleep, TestDaemon } from './helpers/wharfd';

// The seed's remaining daemon flags, each by what a user sees: -v, -g, -r=false, --dns and
// --dns-search, --iptables=false, -s vfs (and an unknown driver), --config-file (keys applied,
// a key also given as a flag refused, an unknown key refused), as dockerd words them.
const WHARFD = path.join(ROOT, 'bin', 'wharfd');
const octet = 100 + ((process.pid + 53) % 150);
const scratch = mkdtempSync(path.join(os.tmpdir(), 'wharf-flags-'));
const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

/** A daemon for one test, cleaned up after the file even if the test fails. */
function daemon(): TestDaemon {
  const d = new TestDaemon();
  daemons.push(d);
  return d;
}

/** wharfd that must exit by itself (a refused configuration, -v): its code and output. */
function wharfdExits(args: string[]): { code: number; out: string } {
  const r = spawnSync(WHARFD, args, { encoding: 'utf8', timeout: 15_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const info = (d: TestDaemon) => {
  const r = d.docker(['info']);
  assert.equal(r.code, 0, r.stderr);
  return `${r.stdout}${r.stderr}`;
};

describe('daemon flags that end at once', () => {
  test('-v and --version print the version as wharf --version does, and exit 0', () => {
    for (const f of ['-v', '--version']) {
      const r = wharfdExits([f]);
      assert.equal(r.code, 0);
      assert.equal(r.out, 'Wharf version 0.1.0, build wharf\n');
    }
  });

  test('an unknown storage driver, -g with --data-root, a missing --config-file: refused as dockerd refuses them', () => {
    const dir = path.join(scratch, 'refused');
    const bogus = wharfdExits(['-H', `unix://${dir}/s`, '--data-root', `${dir}/data`, '-s', 'bogus']);
    assert.equal(bogus.code, 1);
    assert.match(bogus.out, /failed to start daemon: error initializing graphdriver: driver not supported/);
    const both = wharfdExits(['-g', `${dir}/g`, '--data-root', `${dir}/data`]);
    assert.equal(both.code, 1);
    assert.match(both.out, /cannot specify both "--graph" and "--data-root" option/);
    const missing = wharfdExits(['--config-file', `${dir}/none.json`]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, new RegExp(`unable to configure the Wharf daemon with file ${dir}/none.json: open ${dir}/none.json: no such file or directory`));
    assert.ok(!existsSync(`${dir}/data`) && !existsSync(`${dir}/g`), 'nothing made');
  });

  test('--config-file: an unknown key, and keys also given as flags, refused with dockerd words', () => {
    const file = path.join(scratch, 'conflict.json');
    writeFileSync(file, JSON.stringify({ debug: true, 'no-such-option': 1, 'log-opts': { 'max-size': '1m' } }));
    const unknown = wharfdExits(['--config-file', file]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.out.trim(), `unable to configure the Wharf daemon with file ${file}: the following directives don't match any configuration option: no-such-option`);
    writeFileSync(file, JSON.stringify({ debug: true, dns: ['192.0.2.1'], 'storage-driver': 'vfs', 'log-opts': { 'max-size': '1m' } }));
    const both = wharfdExits(['--config-file', file, '-D', '--dns', '192.0.2.2', '-s', 'vfs', '--log-opt', 'max-size=2m']);
    assert.equal(both.code, 1);
    assert.equal(
      both.out.trim(),
      `unable to configure the Wharf daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: ` +
        'debug: (from flag: true, from file: true), dns: (from flag: [192.0.2.2], from file: [192.0.2.1]), log-opts: (from flag: map[max-size:2m], from file: map[max-size:1m]), storage-driver: (from flag: vfs, from file: vfs)',
    );
    writeFileSync(file, '{"debug": tru');
    assert.match(wharfdExits(['--config-file', file]).out, /unable to configure the Wharf daemon with file .*: invalid JSON/);
  });
});

describe('daemon flags of a running daemon', () => {
  test('-g puts the data root there; docker info shows it as Docker Root Dir', async () => {
    const d = daemon();
    d.passDataRoot = false;
    const graph = path.join(d.dir, 'graph');
    await d.start(['-g', graph]);
    d.importBusybox();
    assert.match(info(d), new RegExp(`Docker Root Dir: ${graph}\\n`));
    assert.ok(existsSync(path.join(graph, 'journal')), 'the journal is under -g');
    assert.ok(!existsSync(d.dataRoot));
  });

  test('--config-file: its keys apply (data-root, debug, dns, dns-search, log-driver, storage-driver) as their flags would', async () => {
    const d = daemon();
    d.passDataRoot = false;
    const root = path.join(d.dir, 'from-file');
    const file = path.join(d.dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ 'data-root': root, debug: true, dns: ['192.0.2.53'], 'dns-search': ['example.test'], 'log-driver': 'none', 'storage-driver': 'vfs', restart: true }));
    await d.start(['--config-file', file]);
    d.importBusybox();
    const text = info(d);
    assert.match(text, new RegExp(`Docker Root Dir: ${root}\\n`));
    assert.match(text, /Server:[\s\S]*Debug Mode: true/);
    assert.match(text, /Logging Driver: none\n/);
    assert.match(text, /Storage Driver: vfs\n/);
    const resolv = d.dockerOk(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.match(resolv, /^nameserver 192\.0\.2\.53$/m);
    assert.match(resolv, /^search example\.test$/m);
    assert.equal(d.dockerOk(['run', '-d', '--name', 'nolog', 'busybox', 'true']).length > 0, true);
    assert.equal(d.dockerOk(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'nolog']).trim(), 'none');
    d.dockerOk(['rm', '-f', 'nolog']);
  });

  test('--dns and --dns-search: what a container that sets none gets; its own --dns wins; HostConfig keeps its own', async () => {
    const d = daemon();
    await d.start(['--dns', '192.0.2.53', '--dns', '192.0.2.54', '--dns-search', 'example.test', '--dns-opt', 'ndots:2']);
    d.importBusybox();
    const resolv = d.dockerOk(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.deepEqual(resolv.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 192.0.2.53', 'nameserver 192.0.2.54']);
    assert.match(resolv, /^search example\.test$/m);
    assert.match(resolv, /^options ndots:2$/m);
    const own = d.dockerOk(['run', '--rm', '--dns', '192.0.2.99', 'busybox', 'cat', '/etc/resolv.conf']);
    assert.deepEqual(own.split('\n').filter((l) => l.startsWith('nameserver')), ['nameserver 192.0.2.99']);
    assert.match(own, /^search example\.test$/m, 'the daemon search list stands in for the one the container did not set');
    d.dockerOk(['create', '--name', 'plain', 'busybox', 'true']);
    assert.equal(d.dockerOk(['inspect', '-f', '{{json .HostConfig.Dns}}', 'plain']).trim(), '[]');
    d.dockerOk(['rm', 'plain']);
  });

  test('-r=false: a restart=always container that died while the daemon was down stays exited; the default restarts it', async () => {
    for (const restart of [false, true]) {
      const d = daemon();
      const flags = restart ? [] : ['-r=false'];
      await d.start(flags);
      d.importBusybox();
      d.dockerOk(['run', '-d', '--name', 'pm', '--restart', 'always', 'busybox', 'sleep', '1000']);
      d.dockerOk(['run', '-d', '--name', 'stopped', '--restart', 'always', 'busybox', 'sleep', '1000']);
      d.dockerOk(['stop', '-t', '0', 'stopped']);
      const pid = Number(d.dockerOk(['inspect', '-f', '{{.State.Pid}}', 'pm']).trim());
      await d.kill9();
      process.kill(pid, 'SIGKILL');
      await eventually(() => !existsSync(`/proc/${pid}`), 5000, 'the container process to die');
      await sleep(300);
      await d.start(flags);
      const status = (n: string) => d.dockerOk(['inspect', '-f', '{{.State.Status}}', n]).trim();
      if (restart) {
        await eventually(() => status('pm') === 'running', 15_000, 'the default -r=true to restart it');
        await eventually(() => status('stopped') === 'running', 15_000, 'always to be started at boot');
      } else {
        await sleep(1500);
        assert.equal(status('pm'), 'exited');
        assert.equal(d.dockerOk(['inspect', '-f', '{{.State.ExitCode}}', 'pm']).trim(), '137');
        assert.equal(status('stopped'), 'exited');
        // What a process manager does instead: start it (with -a, in the foreground).
        d.dockerOk(['start', 'stopped']);
        assert.equal(status('stopped'), 'running');
      }
      d.dockerOk(['update', '--restart', 'no', 'pm', 'stopped']);
      d.dockerOk(['rm', '-f', 'pm', 'stopped']);
      await d.cleanup();
    }
  });

  test('--iptables=false: no nftables table and no FORWARD rule of Wharf, for the default bridge and a network; docker info warns', async () => {
    const d = daemon();
    const bridge = `wfi${octet}`;
    await d.start(['-b', bridge, '--bip', `10.${octet}.77.1/24`, '--iptables=false']);
    const nft = (t: string) => spawnSync('nft', ['list', 'table', 'ip', t], { stdio: 'ignore' }).status === 0;
    const fwd = (b: string) => spawnSync('iptables', ['-C', 'FORWARD', '-i', b, '-j', 'ACCEPT', '-m', 'comment', '--comment', 'wharf'], { stdio: 'ignore' }).status === 0;
    assert.ok(!nft(`wharf_${bridge}`), 'no table for the default bridge');
    assert.ok(!fwd(bridge), 'no FORWARD exception for the default bridge');
    d.dockerOk(['network', 'create', '--subnet', `10.${octet}.78.0/24`, 'nofw']);
    const br = `br-${d.dockerOk(['network', 'inspect', '-f', '{{.Id}}', 'nofw']).trim().slice(0, 12)}`;
    assert.ok(!nft(`wharf_${br.replace(/-/g, '_')}`), 'no table for a user network');
    assert.ok(!fwd(br));
    assert.match(info(d), /WARNING: iptables is disabled \(--iptables=false\)/);
    d.dockerOk(['network', 'rm', 'nofw']);
  });

  test('-s vfs: containers run from full copies (no overlay mount); diff, commit, and removal of the copies', async () => {
    const d = daemon();
    await d.start(['-s', 'vfs']);
    d.importBusybox();
    assert.match(info(d), /Storage Driver: vfs\n/);
    d.dockerOk(['run', '--name', 'vv', 'busybox', 'sh', '-c', 'mkdir /data && echo hi > /data/f && rm /etc/passwd && echo x >> /etc/group']);
    const diff = d.dockerOk(['diff', 'vv']).trim().split('\n').sort();
    assert.deepEqual(diff, ['A /data', 'A /data/f', 'C /etc', 'C /etc/group', 'D /etc/passwd'].sort());
    d.dockerOk(['commit', 'vv', 'vfs-img']);
    assert.equal(d.dockerOk(['run', '--rm', 'vfs-img', 'cat', '/data/f']), 'hi\n');
    assert.notEqual(d.docker(['run', '--rm', 'vfs-img', 'cat', '/etc/passwd']).code, 0, 'the deletion is in the committed layer');
    // A running container: its changes are seen while it runs, and nothing is mounted.
    d.dockerOk(['run', '-d', '--name', 'live', 'busybox', 'sh', '-c', 'touch /made; sleep 1000']);
    await eventually(() => d.dockerOk(['diff', 'live']).includes('A /made'), 5000, 'the change of a running container');
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes(d.dataRoot) && / overlay /.test(` ${l.split(' ')[2]} `));
    assert.deepEqual(mounts, []);
    d.dockerOk(['rm', '-f', 'vv', 'live']);
    d.dockerOk(['rmi', 'vfs-img']);
    const vfs = path.join(d.dataRoot, 'vfs');
    assert.deepEqual(readdirSync(vfs).filter((n) => n !== 'images'), [], 'the containers copies are gone');
    assert.deepEqual(readdirSync(path.join(vfs, 'images')), [], 'the image copies no container uses are gone');
  });
});
