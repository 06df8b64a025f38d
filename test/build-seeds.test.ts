import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { DOCKER, eventually, runSync, TestDaemon } from './helpers/wharfd';
import { makeContext } from './helpers/build-context';

// The Dockerfiles of the original docs (seed 003: §3.6.1 data volume container, §4.4 Node.js
// web app, §4.5 Redis, §4.11 Supervisor), built with the real docker CLI and run as the docs
// show. There is no internet here: only the package installs are replaced, by a local file or
// a busybox equivalent (marked "adapted"); every other line is the docs'. The daemon has a
// bridge of its own (removed by cleanup); connections go to 127.0.0.1 or that bridge only.
const tag = (process.pid % 10000).toString(36) + Math.floor(Math.random() * 36 ** 2).toString(36);
const bridge = `wbs${tag}`;
const subnet = `10.252.${20 + (process.pid % 200)}`;
const d = new TestDaemon();

before(async () => {
  await d.start(['-b', bridge, '--bip', `${subnet}.1/24`]);
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
});

const ok = (args: string[]) => d.dockerOk(args);

const context = (files: Record<string, string>, executable: string[] = []) => makeContext(d.dir, files, executable);

function build(tagName: string, dir: string): string {
  const r = runSync(DOCKER, ['build', '-t', tagName, dir], d.env, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker build ${tagName}: ${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^Successfully tagged ${tagName.replace(/[/.]/g, '\\$&')}:latest$`, 'm'));
  return r.stdout;
}

/** curl -i to 127.0.0.1 (bounded). */
const curl = (port: string, p = '/') => spawnSync('curl', ['-s', '-i', '--max-time', '3', `http://127.0.0.1:${port}${p}`], { encoding: 'utf8', timeout: 5000 });

/** The host port of a published container port, as `docker port` shows it. */
function hostPort(container: string, port: string): string {
  const out = ok(['port', container, port]).trim().split('\n')[0];
  const m = /^0\.0\.0\.0:(\d+)$/.exec(out);
  assert.ok(m, `docker port ${container} ${port}: ${out}`);
  return m[1];
}

test('§3.6.1 the data volume container: built from its Dockerfile, run named DATA, its volumes shared through --volumes-from (transitively)', () => {
  const dir = context({
    Dockerfile: `# BUILD-USING:      docker build -t data .
# RUN-USING:        docker run -name DATA data
FROM               busybox
VOLUME             ["/var/volume1", "/var/volume2"]
# adapted: this busybox has true in /bin, not /usr/bin
CMD                ["/bin/true"]
`,
  });
  const out = build('data', dir);
  assert.match(out, /^Step 3\/3 : CMD                \["\/bin\/true"\]$/m); // the line as written, as dockerd shows it
  assert.deepEqual(Object.keys(JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config.Volumes}}', 'data']))).sort(), ['/var/volume1', '/var/volume2']);
  ok(['run', '--name', 'DATA', 'data']);
  assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'DATA']), 'exited 0\n');
  const mounts = JSON.parse(ok(['inspect', '-f', '{{json .Mounts}}', 'DATA'])) as { Type: string; Destination: string; Name: string }[];
  assert.deepEqual(mounts.map((m) => `${m.Type} ${m.Destination}`).sort(), ['volume /var/volume1', 'volume /var/volume2']);
  // docker run -t -i -rm -volumes-from DATA -name client1 ubuntu bash (here: a command instead of a shell)
  ok(['run', '--volumes-from', 'DATA', '--name', 'client1', 'busybox', 'sh', '-c', 'echo one > /var/volume1/f && echo two > /var/volume2/g']);
  // docker run -t -i -rm -volumes-from client1 -name client2 ubuntu bash: the volumes of DATA, through client1
  assert.equal(ok(['run', '--rm', '--volumes-from', 'client1', '--name', 'client2', 'busybox', 'cat', '/var/volume1/f', '/var/volume2/g']), 'one\ntwo\n');
  // Removing DATA keeps the data: client1 still holds the volumes.
  ok(['rm', 'DATA']);
  assert.equal(ok(['run', '--rm', '--volumes-from', 'client1', 'busybox', 'cat', '/var/volume1/f']), 'one\n');
  ok(['rm', 'client1']);
});

test('§4.4 the Node.js web app: ADD . /src, RUN in /src, EXPOSE 8080; run -p 49160-style -d; the logs and curl -i from the host', async () => {
  const dir = context(
    {
      Dockerfile: `# DOCKER-VERSION 0.3.4
# adapted: FROM centos:6.4, the EPEL rpm and yum install npm need the internet; busybox's httpd
# serves the app instead of node, and a local script stands for npm install
FROM busybox

# Bundle app source
ADD . /src
# Install app dependencies
RUN cd /src; sh ./npm-install.sh

EXPOSE 8080
CMD ["sh", "/src/index.sh"]
`,
      'package.json': '{ "name": "docker-centos-hello", "private": true, "version": "0.0.1", "dependencies": { "express": "3.2.4" } }\n',
      'npm-install.sh': 'mkdir -p node_modules/express && echo 3.2.4 > node_modules/express/VERSION && mkdir -p www && echo "Hello World" > www/index.html\n',
      'index.sh': `# Constants
PORT=8080
# App
echo "Running on http://localhost:$PORT"
exec httpd -f -p $PORT -h /src/www
`,
    },
    ['index.sh'],
  );
  build('gasi/centos-node-hello', dir);
  assert.match(ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /^gasi\/centos-node-hello:latest$/m);
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const id = ok(['run', '-p', `${port}:8080`, '-d', 'gasi/centos-node-hello']).trim();
  assert.match(ok(['ps', '--format', '{{.Image}} {{.Command}} {{.Ports}}']), new RegExp(`^gasi/centos-node-hello "sh /src/index.sh" 0\\.0\\.0\\.0:${port}->8080/tcp`, 'm'));
  const logs = await eventually(() => d.docker(['logs', id]).stdout, 10_000, 'the app log');
  assert.equal(logs, 'Running on http://localhost:8080\n');
  const res = await eventually(() => {
    const r = curl(port);
    return r.status === 0 && r.stdout.startsWith('HTTP/1.') ? r.stdout : '';
  }, 15_000, `curl 127.0.0.1:${port}`);
  assert.match(res, /^HTTP\/1\.[01] 200 OK\r\n/);
  assert.match(res, /\r\n\r\nHello World\n$/);
  assert.equal(ok(['exec', id, 'cat', '/src/node_modules/express/VERSION']), '3.2.4\n');
  ok(['rm', '-f', id]);
});

const REDIS_SERVER = `#!/bin/sh
# adapted: a busybox stand-in for redis-server, one command per connection (set/get/ping)
mkdir -p /data
echo "Server started, Redis version 2.6-busybox; args: $*"
exec nc -ll -p 6379 -e /usr/bin/redis-handler
`;
const REDIS_HANDLER = `#!/bin/sh
read -r cmd key val
key=$(echo "$key" | tr -d '\\r'); val=$(echo "$val" | tr -d '\\r')
case "$cmd" in
  set|SET) printf '%s' "$val" > "/data/$key"; echo OK ;;
  get|GET) if [ -f "/data/$key" ]; then echo "\\"$(cat "/data/$key")\\""; else echo "(nil)"; fi ;;
  ping|PING) echo PONG ;;
  *) echo "(error) ERR unknown command '$cmd'" ;;
esac
`;

test('§4.5 Redis: EXPOSE 6379 and ENTRYPOINT; run --name redis -d; a --link redis:db client sees DB_* and talks to it', async () => {
  const dir = context(
    {
      Dockerfile: `FROM          busybox
# adapted: RUN apt-get update / RUN apt-get -y install redis-server need the internet
COPY          redis-server redis-handler /usr/bin/
EXPOSE       6379
ENTRYPOINT   ["/usr/bin/redis-server"]
`,
      'redis-server': REDIS_SERVER,
      'redis-handler': REDIS_HANDLER,
    },
    ['redis-server', 'redis-handler'],
  );
  build('me/redis', dir);
  const cfg = JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config}}', 'me/redis']));
  assert.deepEqual(cfg.Entrypoint, ['/usr/bin/redis-server']);
  assert.deepEqual(Object.keys(cfg.ExposedPorts), ['6379/tcp']);
  ok(['run', '--name', 'redis', '-d', 'me/redis', '--dir', '/data']);
  assert.match(await eventually(() => d.docker(['logs', 'redis']).stdout, 10_000, 'redis log'), /^Server started, .*args: --dir \/data\n$/);
  const ip = ok(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'redis']).trim();
  assert.ok(ip.startsWith(`${subnet}.`), ip);
  // The app container: the DB_* variables of the link, then the docs' session with redis-cli.
  const env = ok(['run', '--rm', '--name', 'violet_wolf', '--link', 'redis:db', 'busybox', 'env']).split('\n');
  for (const v of ['DB_NAME=/violet_wolf/db', `DB_PORT=tcp://${ip}:6379`, `DB_PORT_6379_TCP=tcp://${ip}:6379`, `DB_PORT_6379_TCP_ADDR=${ip}`, 'DB_PORT_6379_TCP_PORT=6379', 'DB_PORT_6379_TCP_PROTO=tcp']) {
    assert.ok(env.includes(v), `${v} in\n${env.join('\n')}`);
  }
  const cli = (cmd: string) => `echo "${cmd}" | nc -w 5 $DB_PORT_6379_TCP_ADDR $DB_PORT_6379_TCP_PORT`;
  const session = await eventually(() => {
    const r = d.docker(['run', '--rm', '--link', 'redis:db', 'busybox', 'sh', '-c', `${cli('ping')} && ${cli('set docker awesome')} && ${cli('get docker')}`], { timeoutMs: 30_000 });
    return r.code === 0 && r.stdout.startsWith('PONG') ? r.stdout : '';
  }, 20_000, 'the redis session');
  assert.equal(session, 'PONG\nOK\n"awesome"\n');
  // The alias is also a name in the linked container's /etc/hosts.
  assert.equal(ok(['run', '--rm', '--link', 'redis:db', 'busybox', 'sh', '-c', 'echo "get docker" | nc -w 5 db 6379']), '"awesome"\n');
  ok(['rm', '-f', 'redis']);
});

test('§4.11 Supervisor: ADD supervisord.conf, EXPOSE 22 80, CMD supervisord; run -p 22 -p 80 starts both programs, reachable from the host', async () => {
  const dir = context(
    {
      Dockerfile: `FROM busybox
MAINTAINER examples@docker.io
# adapted: the sources.list, apt-get update/upgrade and the install of openssh-server, apache2
# and supervisor need the internet; busybox stands in (nc for sshd, httpd for apache2, a shell
# script for supervisord)
COPY supervisord /usr/bin/supervisord
COPY index.html /var/www/index.html
RUN mkdir -p /var/run/sshd
RUN mkdir -p /var/log/supervisor
ADD supervisord.conf /etc/supervisor/conf.d/supervisord.conf
EXPOSE 22 80
CMD ["/usr/bin/supervisord"]
`,
      'supervisord.conf': `[supervisord]
nodaemon=true

[program:sshd]
command=nc -ll -p 22 -e /bin/echo SSH-2.0-OpenSSH_busybox

[program:apache2]
command=httpd -f -p 80 -h /var/www
`,
      supervisord: `#!/bin/sh
# adapted: a shell stand-in for supervisord: start every [program:x] command, log as it does, wait
conf=/etc/supervisor/conf.d/supervisord.conf
echo "CRIT Supervisor running as root (no user in config file)"
echo "INFO supervisord started with pid $$"
name=
while IFS= read -r line; do
  case "$line" in
    "[program:"*) name=\${line#\\[program:}; name=\${name%\\]} ;;
    command=*) \${line#command=} & echo "INFO spawned: '$name' with pid $!" ;;
  esac
done < "$conf"
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
wait
`,
      'index.html': 'It works!\n',
    },
    ['supervisord'],
  );
  build('me/supervisord', dir);
  assert.deepEqual(Object.keys(JSON.parse(ok(['image', 'inspect', '-f', '{{json .Config.ExposedPorts}}', 'me/supervisord']))).sort(), ['22/tcp', '80/tcp']);
  assert.equal(ok(['image', 'inspect', '-f', '{{.Author}}', 'me/supervisord']), 'examples@docker.io\n');
  const id = ok(['run', '-p', '22', '-p', '80', '-d', 'me/supervisord']).trim();
  const logs = await eventually(() => {
    const l = d.docker(['logs', id]).stdout;
    return l.includes("'apache2'") ? l : '';
  }, 10_000, 'supervisord logs');
  assert.match(logs, /^CRIT Supervisor running as root \(no user in config file\)\nINFO supervisord started with pid 1\nINFO spawned: 'sshd' with pid \d+\nINFO spawned: 'apache2' with pid \d+\n$/);
  const top = ok(['top', id]);
  assert.match(top, /nc -ll -p 22/);
  assert.match(top, /httpd -f -p 80/);
  const web = hostPort(id, '80');
  const ssh = hostPort(id, '22');
  assert.notEqual(web, ssh);
  const page = await eventually(() => {
    const r = curl(web);
    return r.status === 0 && r.stdout.startsWith('HTTP/1.') ? r.stdout : '';
  }, 15_000, `curl 127.0.0.1:${web}`);
  assert.match(page, /^HTTP\/1\.[01] 200 OK\r\n[\s\S]*\r\n\r\nIt works!\n$/);
  const banner = await eventually(() => {
    const r = spawnSync('curl', ['-s', '--max-time', '3', `telnet://127.0.0.1:${ssh}`], { encoding: 'utf8', timeout: 5000, input: '' });
    return r.stdout.startsWith('SSH-2.0') ? r.stdout : '';
  }, 15_000, `the ssh banner on 127.0.0.1:${ssh}`);
  assert.equal(banner, 'SSH-2.0-OpenSSH_busybox\n');
  ok(['stop', '-t', '5', id]);
  assert.equal(ok(['inspect', '-f', '{{.State.ExitCode}}', id]), '0\n');
  ok(['rm', id]);
});
