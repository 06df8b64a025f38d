import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { before, describe, test } from 'node:test';
import { daemonForFile, eventually, sleep } from './helpers/wharfd';

// docker logs (--details, --since, --until, --tail) and the websocket attach endpoint.
const d = daemonForFile();
const ok = (args: string[]) => d.dockerOk(args);
/** The same command with docker and wharf: both succeed and print the same. */
const both = (args: string[]) => {
  const out = ok(args);
  assert.equal(d.wharfOk(args), out, `wharf ${args.join(' ')}`);
  return out;
};

describe('docker logs', () => {
  before(async () => {
    ok(['run', '--name', 'lines', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 2; echo three']);
  });

  test('--details: a space before each line with no log options; the named labels and env with them', () => {
    assert.equal(both(['logs', '--details', 'lines']), ' one\n three\n');
    assert.equal(d.docker(['logs', '--details', 'lines']).stderr, ' two\n');
    const ts = ok(['logs', '--details', '-t', 'lines']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z  one\n/);
    ok(['run', '--name', 'attrs', '-l', 'app=web', '-l', 'team=a b&c', '-l', 'other=x', '-e', 'STAGE=prod', '--log-opt', 'labels=team,app', '--log-opt', 'env=STAGE', 'busybox', 'echo', 'hi']);
    assert.equal(both(['logs', '--details', 'attrs']), 'STAGE=prod,app=web,team=a+b%26c hi\n');
    assert.equal(both(['logs', 'attrs']), 'hi\n');
  });

  test('--since and --until: RFC3339, unix timestamps and durations', async () => {
    const stamps = ok(['logs', '-t', 'lines'])
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    assert.equal(stamps.length, 2);
    const [t1, t3] = stamps;
    // RFC3339: since the third line, until the first.
    assert.equal(both(['logs', '--since', t3, 'lines']), 'three\n');
    assert.equal(both(['logs', '--until', t1, 'lines']), 'one\n');
    // Unix seconds (a second before "three", after "one").
    const unix = (t: string) => Date.parse(t) / 1000;
    const between = ((unix(t1) + unix(t3)) / 2).toFixed(3);
    assert.equal(both(['logs', '--since', between, 'lines']), 'three\n');
    assert.equal(both(['logs', '--until', between, 'lines']), 'one\n');
    // Durations: relative to now. All of it was within the hour; none of it in the last 0.1 s.
    assert.equal(both(['logs', '--since', '1h', 'lines']), 'one\nthree\n');
    await sleep(200);
    assert.equal(both(['logs', '--since', '100ms', 'lines']), '');
    assert.equal(both(['logs', '--until', '100ms', 'lines']), 'one\nthree\n');
    const bad = d.docker(['logs', '--since', '2024-13-45', 'lines']);
    assert.notEqual(bad.code, 0);
  });

  test('--tail: all, a number, 0', () => {
    assert.equal(both(['logs', '--tail', 'all', 'lines']), 'one\nthree\n');
    assert.equal(both(['logs', '--tail', '1', 'lines']), 'three\n');
    assert.equal(both(['logs', '-n', '0', 'lines']), '');
    assert.equal(both(['logs', '--tail', '1', '--details', 'lines']), ' three\n');
  });
});

/** A minimal websocket client over the daemon's unix socket: the handshake, masked frames out, frames in. */
class WsClient {
  readonly messages: { opcode: number; data: Buffer }[] = [];
  closeCode?: number;
  ended = false;
  private buf = Buffer.alloc(0);

  private constructor(private readonly sock: net.Socket) {}

  static connect(sockPath: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; head: string; body: string; ws?: WsClient }> {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const sock = net.connect(sockPath);
      const hs = { Host: 'docker', Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', ...headers };
      sock.write(`GET ${path} HTTP/1.1\r\n${Object.entries(hs).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      let acc = Buffer.alloc(0);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error('no handshake answer'));
      }, 10_000);
      const onData = (d: Buffer) => {
        acc = Buffer.concat([acc, d]);
        const end = acc.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = acc.subarray(0, end).toString();
        const status = Number(head.split(' ')[1]);
        if (status !== 101) {
          // Not upgraded: read the rest of the answer until the daemon closes.
          sock.on('end', () => {
            clearTimeout(timer);
            resolve({ status, head, body: acc.subarray(end + 4).toString() });
          });
          return;
        }
        clearTimeout(timer);
        sock.off('data', onData);
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        assert.match(head, new RegExp(`\r\nSec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}`, 'i'));
        const ws = new WsClient(sock);
        sock.on('data', (x: Buffer) => ws.receive(x));
        sock.on('close', () => (ws.ended = true));
        ws.receive(acc.subarray(end + 4));
        resolve({ status, head, body: '', ws });
      };
      sock.on('data', onData);
      sock.on('error', reject);
    });
  }

  /** Everything received so far as one string. */
  get text(): string {
    return Buffer.concat(this.messages.map((m) => m.data)).toString();
  }

  /** A masked frame, as clients must send (a text one unless told). */
  send(data: string | Buffer, opcode = 0x1): void {
    const payload = Buffer.from(data);
    const mask = randomBytes(4);
    assert.ok(payload.length < 126);
    const head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
    this.sock.write(Buffer.concat([head, mask, body]));
  }

  close(): void {
    this.send(Buffer.from([0x03, 0xe8]), 0x8);
  }

  destroy(): void {
    this.sock.destroy();
  }

  private receive(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      assert.equal(this.buf[1] & 0x80, 0, 'server frames are not masked');
      let len = this.buf[1] & 0x7f;
      let p = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        p = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        p = 10;
      }
      if (this.buf.length < p + len) return;
      const opcode = this.buf[0] & 0x0f;
      const data = Buffer.from(this.buf.subarray(p, p + len));
      this.buf = this.buf.subarray(p + len);
      if (opcode === 0x8) this.closeCode = data.length >= 2 ? data.readUInt16BE(0) : 1005;
      else this.messages.push({ opcode, data });
    }
  }
}

describe('attach over a websocket', () => {
  test('output arrives as binary messages; text sent reaches stdin', async (t) => {
    ok(['run', '-d', '-i', '--name', 'echoer', 'busybox', 'sh', '-c', 'while read l; do echo "got $l"; echo "err $l" >&2; done']);
    const { status, ws } = await WsClient.connect(d.sock, '/v1.47/containers/echoer/attach/ws?stream=1&stdin=1&stdout=1&stderr=1');
    assert.equal(status, 101);
    t.after(() => ws!.destroy());
    ws!.send('hello\n');
    await eventually(() => /got hello\n/.test(ws!.text) && /err hello\n/.test(ws!.text), 10_000, 'echo of the input');
    ws!.send(Buffer.from('bin\n'), 0x2);
    await eventually(() => /got bin\n/.test(ws!.text), 10_000, 'echo of binary input');
    assert.ok(ws!.messages.every((m) => m.opcode === 0x2), 'binary messages');
    assert.ok(!ws!.text.includes('\u0001\u0000\u0000\u0000'), 'never multiplexed');
    // The client closes: the daemon answers the close, the container runs on.
    ws!.close();
    await eventually(() => ws!.ended, 10_000, 'connection closed');
    assert.equal(ws!.closeCode, 1000);
    assert.equal(ok(['inspect', '-f', '{{.State.Running}}', 'echoer']).trim(), 'true');
    ok(['rm', '-f', 'echoer']);
  });

  test('stdout/stderr choose the streams; the socket closes when the container exits', async (t) => {
    ok(['create', '--name', 'talker', 'busybox', 'sh', '-c', 'sleep 1; echo out; echo err >&2']);
    const { ws } = await WsClient.connect(d.sock, '/containers/talker/attach/ws?stream=1&stdout=0&stderr=1');
    t.after(() => ws!.destroy());
    ok(['start', 'talker']);
    await eventually(() => ws!.ended, 15_000, 'closed at exit');
    assert.equal(ws!.text, 'err\n');
    assert.equal(ws!.closeCode, 1000);
  });

  test('logs=1 replays what was written; an old API version always carries stdout and stderr', async () => {
    ok(['run', '--name', 'done', 'busybox', 'sh', '-c', 'echo past; echo also >&2']);
    const a = await WsClient.connect(d.sock, '/containers/done/attach/ws?logs=1&stdout=1');
    await eventually(() => a.ws!.ended, 10_000, 'closed after the replay');
    assert.equal(a.ws!.text, 'past\n');
    const b = await WsClient.connect(d.sock, '/v1.41/containers/done/attach/ws?logs=1&stdout=0');
    await eventually(() => b.ws!.ended, 10_000, 'closed after the replay');
    assert.equal(b.ws!.text, 'past\nalso\n');
    const c = await WsClient.connect(d.sock, '/containers/done/attach/ws?stdout=1');
    await eventually(() => c.ws!.ended, 10_000, 'closed: neither logs nor stream');
    assert.equal(c.ws!.text, '');
  });

  test('a missing container is a 404; a request that is no websocket is a 400', async () => {
    const r = await WsClient.connect(d.sock, '/containers/nosuch/attach/ws?stream=1');
    assert.equal(r.status, 404);
    assert.deepEqual(JSON.parse(r.body), { message: 'No such container: nosuch' });
    const v = await WsClient.connect(d.sock, '/containers/done/attach/ws?stream=1', { 'Sec-WebSocket-Version': '8' });
    assert.equal(v.status, 400);
    const plain = await new Promise<number>((resolve) => {
      const s = net.connect(d.sock);
      s.write('GET /containers/done/attach/ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      s.once('data', (x: Buffer) => {
        resolve(Number(x.toString().split(' ')[1]));
        s.destroy();
      });
    });
    assert.equal(plain, 400);
  });
});
