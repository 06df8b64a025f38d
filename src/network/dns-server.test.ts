import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { test } from 'node:test';
import { encodeQuery, encodeResponse, parseMessage, rcodeOf, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA } from './dns-message';
import { DnsServer, forward, nameservers } from './dns-server';

/** A resolver on 127.0.0.1 that answers every A query with 192.0.2.7. */
async function fakeUpstream(): Promise<{ port: number; close: () => void }> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => {
    const q = parseMessage(m);
    s.send(encodeResponse(q, 0, [{ name: q.questions[0].name, type: TYPE_A, class: 1, ttl: 5, data: '192.0.2.7' }]), r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => s.close() };
}

test('the server answers its names, NXDOMAIN for unknown ones, and forwards the rest', async (t) => {
  const upstream = await fakeUpstream();
  t.after(() => upstream.close());
  const seen: string[] = [];
  let upstreams: string[] = [];
  const server = new DnsServer((from, name, type) => {
    seen.push(`${from} ${name} ${type}`);
    if (name === 'web') return { addresses: type === TYPE_AAAA ? ['fd00:77::5'] : ['10.0.0.5'] };
    if (name === 'v4only') return { addresses: type === TYPE_AAAA ? [] : ['10.0.0.6'] };
    if (!name.includes('.')) return 'nxdomain';
    return 'forward';
  }, () => upstreams);
  await server.listen('127.0.0.1', 0);
  t.after(() => server.close());
  const port = (server as unknown as { socket: dgram.Socket }).socket.address().port;
  const ask = (name: string, type = TYPE_A) => forward(encodeQuery(9, name, type), '127.0.0.1', port).then(parseMessage);
  const web = await ask('WEB');
  assert.deepEqual(web.answers.map((a) => a.data), ['10.0.0.5']);
  assert.equal(web.answers[0].name, 'WEB');
  const aaaa = await ask('web', TYPE_AAAA);
  assert.deepEqual(aaaa.answers.map((a) => [a.type, (a.data as Buffer).toString('hex')]), [[TYPE_AAAA, 'fd000077000000000000000000000005']]);
  // A known name without an IPv6 address: NOERROR and no answer (Docker's), not NXDOMAIN.
  const none = await ask('v4only', TYPE_AAAA);
  assert.deepEqual([rcodeOf(none), none.answers], [0, []]);
  assert.equal(rcodeOf(await ask('nosuch')), RCODE_NXDOMAIN);
  assert.equal(seen[0], '127.0.0.1 web 1');
  // No upstream: SERVFAIL.
  assert.equal(rcodeOf(await ask('example.org')), 2);
  // With one: its answer is relayed.
  upstreams = [`127.0.0.1:${upstream.port}`];
  const relayed = await ask('example.org');
  assert.deepEqual(relayed.answers.map((a) => a.data), ['192.0.2.7']);
});

test('nameservers of a resolv.conf', () => {
  assert.deepEqual(nameservers('# x\nnameserver 10.0.0.1\nnameserver ::1\nsearch a\nnameserver 127.0.0.53\n'), ['10.0.0.1', '127.0.0.53']);
});
