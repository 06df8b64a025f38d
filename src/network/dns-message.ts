/** A small DNS message codec (RFC 1035): enough to read queries and answer A records. Pure. */

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Message {
  id: number;
  flags: number;
  questions: Question[];
  answers: Answer[];
}

export interface Answer {
  name: string;
  type: number;
  class: number;
  ttl: number;
  /** An IPv4 address for A records; raw bytes otherwise. */
  data: string | Buffer;
}

const QR = 0x8000;
const RD = 0x0100;
const RA = 0x0080;

/** Read a (possibly compressed) name at offset: the name and the offset past it. */
function readName(buf: Buffer, offset: number): [string, number] {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  for (let hops = 0; hops < 128; hops++) {
    if (pos >= buf.length) throw new Error('truncated name');
    const len = buf[pos];
    if (len === 0) {
      return [labels.join('.'), end < 0 ? pos + 1 : end];
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new Error('truncated pointer');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1];
      continue;
    }
    if (len > 63 || pos + 1 + len > buf.length) throw new Error('bad label');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  throw new Error('name too long');
}

function writeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((l) => l.length);
  const bufs = parts.map((l) => {
    const b = Buffer.from(l, 'latin1');
    if (b.length > 63) throw new Error('label too long');
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

/** Parse a message's header, questions and answers (other sections are ignored). */
export function parseMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new Error('short message');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < qd; i++) {
    const [name, next] = readName(buf, pos);
    if (next + 4 > buf.length) throw new Error('truncated question');
    questions.push({ name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) });
    pos = next + 4;
  }
  const answers: Answer[] = [];
  for (let i = 0; i < an; i++) {
    const [name, next] = readName(buf, pos);
    if (next + 10 > buf.length) throw new Error('truncated answer');
    const type = buf.readUInt16BE(next);
    const cls = buf.readUInt16BE(next + 2);
    const ttl = buf.readUInt32BE(next + 4);
    const len = buf.readUInt16BE(next + 8);
    if (next + 10 + len > buf.length) throw new Error('truncated answer data');
    const raw = buf.subarray(next + 10, next + 10 + len);
    answers.push({ name, type, class: cls, ttl, data: type === TYPE_A && len === 4 ? [...raw].join('.') : Buffer.from(raw) });
    pos = next + 10 + len;
  }
  return { id, flags, questions, answers };
}

/** Encode a query (a client's question; used by tests and tools). */
export function encodeQuery(id: number, name: string, type = TYPE_A): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(RD, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(type, 0);
  tail.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([header, writeName(name), tail]);
}

/** The response to a query: its id, opcode, RD and questions, with the answers and rcode given. */
export function encodeResponse(query: Message, rcode: number, answers: Answer[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(QR | (query.flags & 0x7800) | (query.flags & RD) | RA | (rcode & 0xf), 2);
  header.writeUInt16BE(query.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  const parts: Buffer[] = [header];
  for (const q of query.questions) {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(q.class, 2);
    parts.push(writeName(q.name), t);
  }
  for (const a of answers) {
    const data = typeof a.data === 'string' ? Buffer.from(a.data.split('.').map(Number)) : a.data;
    const t = Buffer.alloc(10);
    t.writeUInt16BE(a.type, 0);
    t.writeUInt16BE(a.class, 2);
    t.writeUInt32BE(a.ttl, 4);
    t.writeUInt16BE(data.length, 8);
    parts.push(writeName(a.name), t, data);
  }
  return Buffer.concat(parts);
}

export const rcodeOf = (m: Message): number => m.flags & 0xf;
