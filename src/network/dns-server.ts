import dgram from 'node:dgram';
import { CLASS_IN, encodeResponse, parseMessage, RCODE_NOERROR, RCODE_NXDOMAIN, RCODE_SERVFAIL, TYPE_A, TYPE_AAAA, type Message } from './dns-message';
import { ip6Bytes } from '../domain/ipv6';

/** What the resolver says about a name: its addresses (none for a known name without A records), unknown, or someone else's. */
export type Resolution = { addresses: string[] } | 'nxdomain' | 'forward';
export type Resolve = (requesterIp: string, name: string, type: number) => Resolution;

const FORWARD_TIMEOUT_MS = 2000;

/**
 * A UDP DNS server on one address: answers what resolve() knows, forwards the rest to the
 * upstream resolvers (each tried once, with a timeout) and relays their answer.
 */
export class DnsServer {
  private socket?: dgram.Socket;

  constructor(
    private readonly resolve: Resolve,
    /** "address" or "address:port". */
    private readonly upstreams: () => string[],
  ) {}

  listen(address: string, port = 53): Promise<void> {
    const s = dgram.createSocket({ type: 'udp4' });
    this.socket = s;
    s.on('message', (msg, rinfo) => {
      this.answer(msg, rinfo.address)
        .then((reply) => reply && s.send(reply, rinfo.port, rinfo.address))
        .catch(() => undefined);
    });
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind({ address, port, exclusive: true }, () => {
        s.off('error', reject);
        s.on('error', () => undefined);
        resolve();
      });
    });
  }

  close(): void {
    try {
      this.socket?.close();
    } catch {
      // closed already
    }
    this.socket = undefined;
  }

  private async answer(msg: Buffer, from: string): Promise<Buffer | undefined> {
    let q: Message;
    try {
      q = parseMessage(msg);
    } catch {
      return undefined;
    }
    if (q.flags & 0x8000 || q.questions.length !== 1) return undefined;
    const question = q.questions[0];
    const r = question.class === CLASS_IN ? this.resolve(from, question.name.toLowerCase().replace(/\.$/, ''), question.type) : 'forward';
    if (r === 'nxdomain') return encodeResponse(q, RCODE_NXDOMAIN, []);
    if (r !== 'forward') {
      // A records carry the IPv4 addresses, AAAA the IPv6 ones; an address of the other family is never sent.
      const v6 = question.type === TYPE_AAAA;
      const answers = question.type === TYPE_A || v6
        ? r.addresses.filter((a) => a.includes(':') === v6).map((a) => ({ name: question.name, type: question.type, class: CLASS_IN, ttl: 600, data: v6 ? ip6Bytes(a) : a }))
        : [];
      return encodeResponse(q, RCODE_NOERROR, answers);
    }
    for (const upstream of this.upstreams()) {
      const [host, port] = upstream.split(':');
      const reply = await forward(msg, host, port ? Number(port) : 53).catch(() => undefined);
      if (reply) return reply;
    }
    return encodeResponse(q, RCODE_SERVFAIL, []);
  }
}

/** Send a query to a resolver and wait for its reply (with the same id), or time out. */
export function forward(msg: Buffer, upstream: string, port = 53): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const id = msg.readUInt16BE(0);
    const timer = setTimeout(() => done(new Error('timeout')), FORWARD_TIMEOUT_MS);
    const done = (err?: Error, reply?: Buffer) => {
      clearTimeout(timer);
      s.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    s.on('error', (e) => done(e));
    s.on('message', (reply) => {
      if (reply.length >= 2 && reply.readUInt16BE(0) === id) done(undefined, reply);
    });
    s.send(msg, port, upstream);
  });
}

/** The nameservers of a resolv.conf. */
export function nameservers(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0] === 'nameserver' && /^\d+\.\d+\.\d+\.\d+$/.test(w[1] ?? ''))
    .map((w) => w[1]);
}
