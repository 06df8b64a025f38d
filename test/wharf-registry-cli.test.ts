import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { TestRegistry } from './helpers/registry';
import { DOCKER, ROOT, runSync, TestDaemon, type Result } from './helpers/wharfd';

// The wharf CLI's pull, push, login, logout, search, history, image prune and system df against
// a real wharfd and the real registry (apt docker-registry on 127.0.0.1), compared with what
// the docker CLI prints for the same calls. The daemon and the registry are separate
// processes, so synchronous CLI calls are safe here.
const d = new TestDaemon();
let registry: TestRegistry;
let secured: TestRegistry;
let reg = '';

before(async () => {
  registry = await TestRegistry.start();
  secured = await TestRegistry.start({ user: 'alice', password: 's3cret' });
  reg = registry.host;
  await d.start();
  d.importBusybox();
});
after(async () => {
  await d.cleanup();
  await registry?.stop();
  await secured?.stop();
});

const WHARF = path.join(ROOT, 'bin', 'wharf');
/** A client config dir of its own (inside the daemon's temp dir, removed with it). */
function configDir(name: string): string {
  const dir = path.join(d.dir, 'configs', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
function wharf(args: string[], opts: { input?: string; config?: string } = {}): Result {
  return runSync(WHARF, args, { ...d.env, ...(opts.config ? { DOCKER_CONFIG: opts.config } : {}) }, { input: opts.input });
}
function docker(args: string[], opts: { input?: string; config?: string } = {}): Result {
  return runSync(DOCKER, args, { ...d.env, ...(opts.config ? { DOCKER_CONFIG: opts.config } : {}) }, { input: opts.input });
}
function ok(r: Result, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
/** The same call with both CLIs: same exit code, stdout and stderr (docker's name swapped for wharf's). */
function same(args: string[], opts: { input?: string; config?: [string, string]; prepare?: () => void; anyOrder?: boolean } = {}): Result {
  opts.prepare?.();
  const dr = docker(args, { input: opts.input, config: opts.config?.[0] });
  opts.prepare?.();
  const wr = wharf(args, { input: opts.input, config: opts.config?.[1] });
  const norm = (s: string) => s.replace(/\bdocker\b/g, 'wharf');
  assert.equal(wr.code, dr.code, `exit code of ${args.join(' ')}: wharf ${wr.stderr} / docker ${dr.stderr}`);
  // Layers go up in parallel: their lines may come in another order (anyOrder).
  const lines = (s: string) => (opts.anyOrder ? s.split('\n').sort().join('\n') : s);
  assert.equal(lines(wr.stdout), lines(dr.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(norm(wr.stderr), norm(dr.stderr), `stderr of ${args.join(' ')}`);
  return wr;
}
/** busybox plus a layer holding `marker` in /marker and some random bytes. */
function commitImage(ref: string, marker: string): string {
  ok(docker(['run', '--name', 'maker', 'busybox', 'sh', '-c', `echo ${marker} > /marker && head -c 300000 /dev/urandom > /blob`]), 'run maker');
  const id = ok(docker(['commit', '-m', 'made by the test', 'maker', ref]), 'commit').trim();
  ok(docker(['rm', 'maker']), 'rm maker');
  return id;
}

test('wharf push, rmi, pull, run: the lines docker prints, the final reference, -q, errors', () => {
  const ref = `${reg}/cli/app:v1`;
  const id = commitImage(ref, 'pushed');
  const push = wharf(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  const lines = push.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `The push refers to repository [${reg}/cli/app]`);
  assert.ok(lines.some((l) => /^[0-9a-f]{12}: Pushed$/.test(l)), push.stdout);
  const digest = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/.exec(lines[lines.length - 1])?.[1];
  assert.ok(digest, push.stdout);
  // Pushed again: every layer is there, and both CLIs say so in the same words.
  same(['push', ref], { anyOrder: true });
  same(['push', '-q', ref]);
  assert.equal(wharf(['push', '-q', ref]).stdout, `${ref}\n`);

  // Pulled back by wharf and by docker after the same rmi: the same lines.
  const prepare = () => void ok(docker(['rmi', ref]), 'rmi');
  const pulled = same(['pull', ref], { prepare });
  assert.match(pulled.stdout, /^v1: Pulling from cli\/app$/m);
  assert.match(pulled.stdout, /: Already exists$/m);
  assert.match(pulled.stdout, /: Pull complete$/m);
  assert.match(pulled.stdout, new RegExp(`^Digest: ${digest}$`, 'm'));
  assert.match(pulled.stdout, new RegExp(`Status: Downloaded newer image for ${reg}/cli/app:v1\n${reg}/cli/app:v1\n$`));
  assert.equal(ok(docker(['image', 'inspect', '-f', '{{.Id}}', ref]), 'inspect').trim(), id);
  assert.match(same(['pull', ref]).stdout, /Status: Image is up to date/);
  // The repo digest the pull recorded, listed as docker lists it.
  // (No CREATED column: "2 seconds ago" may turn into "3" between the two CLIs.)
  const digestTable = 'table {{.Repository}}\\t{{.Tag}}\\t{{.Digest}}\\t{{.ID}}\\t{{.Size}}';
  assert.match(same(['images', '--digests', '--format', digestTable, `${reg}/cli/app`]).stdout, new RegExp(`^${reg}/cli/app\\s+v1\\s+${digest}\\s`, 'm'));
  assert.equal(same(['pull', '-q', ref]).stdout, `${ref}\n`);
  same(['image', 'pull', ref]);
  assert.equal(ok(wharf(['run', '--rm', ref, 'cat', '/marker']), 'run'), 'pushed\n');
  // By digest: the final line is the canonical reference.
  assert.equal(same(['pull', `${reg}/cli/app@${digest}`]).stdout.trimEnd().split('\n').pop(), `${reg}/cli/app@${digest}`);

  // run pulls what is missing, its progress on stderr.
  const run = same(['run', '--rm', ref, 'cat', '/marker'], { prepare: () => void docker(['rmi', ref, `${reg}/cli/app@${digest}`]) });
  assert.equal(run.stdout, 'pushed\n');
  assert.match(run.stderr, new RegExp(`^Unable to find image '${reg}/cli/app:v1' locally\nv1: Pulling from cli/app\n`));

  // Mistakes: docker's messages and exit codes.
  const latest = same(['pull', `${reg}/cli/app`]);
  assert.equal(latest.code, 1);
  assert.equal(latest.stdout, 'Using default tag: latest\n');
  assert.equal(latest.stderr, `Error response from daemon: manifest for ${reg}/cli/app:latest not found: manifest unknown: manifest unknown\n`);
  assert.equal(same(['pull', '-a', ref]).stderr, "tag can't be used with --all-tags/-a\n");
  assert.match(same(['pull', `${reg}/cli/App:v1`]).stderr, /^invalid reference format: repository name \(cli\/App\) must be lowercase\n$/);
  assert.equal(same(['push', `${reg}/cli/nothing:v1`]).code, 1);
  assert.equal(same(['push', `${reg}/cli/app@${digest}`]).stderr, 'cannot push a digest reference\n');
  assert.equal(same(['pull']).code, 1);
  assert.equal(same(['push', 'a', 'b']).code, 1);
});

test('wharf login, pull and push with the stored credentials, logout: config.json as docker writes it', () => {
  const host = secured.host;
  const ref = `${host}/private/bb:1`;
  ok(docker(['tag', 'busybox', ref]), 'tag');
  const [dc, wc] = [configDir('docker-login'), configDir('wharf-login')];
  const cfgs: [string, string] = [dc, wc];
  const anon = same(['push', ref], { config: cfgs });
  assert.equal(anon.code, 1);
  assert.match(anon.stderr, /no basic auth credentials/);

  const bad = same(['login', host, '-u', 'alice', '--password-stdin'], { input: 'nope\n', config: cfgs });
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, `Error response from daemon: login attempt to http://${host}/v2/ failed with status: 401 Unauthorized\n`);
  assert.equal(existsSync(path.join(wc, 'config.json')), false);

  // Flag mistakes, refused before anything is sent.
  assert.equal(same(['login', host, '--password-stdin'], { config: cfgs }).stderr, 'the --password-stdin option requires --username to be set\n');
  assert.equal(same(['login', host, '-p', 'x', '--password-stdin'], { config: cfgs }).stderr, 'conflicting options: cannot specify both --password and --password-stdin\n');
  assert.equal(same(['login', host, '-u', 'alice'], { config: cfgs }).stderr, 'Error: Cannot perform an interactive login from a non TTY device\n');

  const good = same(['login', host, '-u', 'alice', '-p', 's3cret'], { config: cfgs });
  assert.equal(good.stdout, 'Login Succeeded\n');
  assert.match(good.stderr, /^WARNING! Using --password via the CLI is insecure\. Use --password-stdin\.\n\nWARNING! Your credentials are stored unencrypted in '.*config\.json'\./);
  const written = readFileSync(path.join(wc, 'config.json'), 'utf8');
  assert.equal(written, readFileSync(path.join(dc, 'config.json'), 'utf8'));
  assert.equal(written, `{\n\t"auths": {\n\t\t"${host}": {\n\t\t\t"auth": "${Buffer.from('alice:s3cret').toString('base64')}"\n\t\t}\n\t}\n}`);
  assert.equal(statSync(path.join(wc, 'config.json')).mode & 0o777, 0o600);
  // Logged in already: the stored credentials are checked (no file change, no password warning).
  const again = wharf(['login', host], { config: wc });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'Login Succeeded\n');
  assert.match(again.stderr, /^Authenticating with existing credentials\.\.\. \[Username: alice\]\n/);

  // The global --config flag names the directory as DOCKER_CONFIG does.
  const elsewhere = configDir('wharf-flag');
  ok(wharf(['--config', elsewhere, 'login', host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' }), 'login --config');
  assert.match(readFileSync(path.join(elsewhere, 'config.json'), 'utf8'), new RegExp(`"${host.replace(/\./g, '\\.')}"`));

  // push and pull send X-Registry-Auth from the stored credentials.
  const pushed = wharf(['push', ref], { config: wc });
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/m);
  ok(docker(['rmi', ref]), 'rmi');
  const pulled = wharf(['pull', ref], { config: wc });
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Status: Downloaded newer image for ${ref}\n${ref}\n$`));
  assert.equal(ok(wharf(['--config', elsewhere, 'pull', '-q', ref]), 'pull --config'), `${ref}\n`);
  assert.match(ok(wharf(['search', `${host}/private`], { config: wc }), 'search'), new RegExp(`^${host}/private/bb\\s`, 'm'));

  const out = same(['logout', host], { config: cfgs });
  assert.equal(out.stdout, `Removing login credentials for ${host}\n`);
  assert.equal(readFileSync(path.join(wc, 'config.json'), 'utf8'), readFileSync(path.join(dc, 'config.json'), 'utf8'));
  assert.deepEqual(JSON.parse(readFileSync(path.join(wc, 'config.json'), 'utf8')), { auths: {} });
  same(['logout', `http://${host}/v2/`], { config: cfgs });
  ok(docker(['rmi', ref]), 'rmi');
  const after = wharf(['pull', ref], { config: wc });
  assert.equal(after.code, 1);
  assert.match(after.stderr, /no basic auth credentials/);
});

test('wharf history and image history print what docker prints', () => {
  const ref = `${reg}/cli/hist:v1`;
  commitImage(ref, 'history');
  for (const args of [
    ['history', '--human=false', ref],
    ['history', '-H=false', '--no-trunc', ref],
    ['history', '-q', ref],
    ['history', '-q', '--no-trunc', ref],
    ['history', '--format', '{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}', ref],
    ['history', '--format', 'table {{.ID}}\t{{.Size}}\t{{.Comment}}', 'busybox'],
    ['history', '--format', 'json', '-H=false', ref],
    ['image', 'history', '--human=false', 'busybox'],
    ['history', 'nope:nope'],
    ['history'],
  ]) {
    same(args);
  }
  const human = ok(wharf(['history', ref]), 'history');
  assert.match(human, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT\n[0-9a-f]{12}\s+.* ago\s+sh -c echo history > \/marker && head -c 3000…\s+30\dkB\s+made by the test\n[0-9a-f]{12}\s+.*Imported from -\n$/);
});

test('wharf search lists a registry catalog as docker does', () => {
  same(['search', `${reg}/cli`]);
  same(['search', '--no-trunc', `${reg}/`]);
  same(['search', '--limit', '1', `${reg}/cli`]);
  same(['search', '--format', '{{.Name}}: {{.StarCount}} {{.IsOfficial}}', `${reg}/cli`]);
  same(['search', '--format', 'json', `${reg}/cli`]);
  same(['search', '--filter', 'is-official=true', `${reg}/cli`]);
  same(['search', '--limit', '1000', `${reg}/cli`]);
  const out = ok(wharf(['search', `${reg}/cli`]), 'search');
  assert.match(out, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n/);
  assert.match(out, new RegExp(`^${reg}/cli/app\\s+0\\s*$`, 'm'));
});

test('wharf image prune and system df', () => {
  same(['system', 'df']);
  same(['system', 'df', '--format', '{{json .}}']);
  same(['system', 'df', '-v', '--format', '{{json .Volumes}}']);
  // A dangling image: the committed image loses its tag to busybox.
  const id = commitImage('dangling:v1', 'dangling');
  ok(docker(['tag', 'busybox', 'dangling:v1']), 'tag');
  // "n" cancels quietly (exit 0), as docker.
  assert.equal(same(['image', 'prune'], { input: 'n\n' }).stdout, 'WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ');
  const pruned = wharf(['image', 'prune', '-f']);
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, new RegExp(`^Deleted Images:\ndeleted: ${id}\n\nTotal reclaimed space: \\d.*B\n$`));
  same(['image', 'prune', '-f']);
  assert.equal(same(['image', 'prune', '-f', 'x']).code, 1);
  assert.equal(same(['image', 'prune', '-a'], { input: '\n' }).code, 0);
});
