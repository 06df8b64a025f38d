/**
 * DNS messages (RFC 1035) for the embedded DNS: queries read, responses with A and AAAA
 * answers written. The wire format is dns-packet's; this file gives the server numbers for
 * types and classes (as the wire has them), the flags word as sent, and answer data as an
 * IPv4 address (A) or raw bytes (anything else). Pure.
 *
 * Measured against the codec this replaced: the same bytes for A, AAAA, EDNS, other types and
 * classes, opcodes and the root. It differs only on queries no resolver sends: a label's bytes
 * are read as UTF-8 (one not valid UTF-8 is not echoed as sent), a class dns-packet has no
 * name for is echoed as 0, and a query whose other sections do not parse gets no answer.
 */
import * as dnsPacket from 'dns-packet';

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
  /** The header's flags word as on the wire (QR, opcode, AA, TC, RD, RA, rcode). */
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

const RD = 0x0100;
const RA = 0x0080;

// dns-packet names types and classes ('AAAA', 'IN'; 'UNKNOWN_<n>' for a number it has no name
// for): its own tables turn them back into numbers (they have no type declarations).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const types = require('dns-packet/types') as { toType(name: string): number };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const classes = require('dns-packet/classes') as { toString(c: number): string; toClass(name: string): number };
const unknown = (name: string) => (name.startsWith('UNKNOWN_') ? Number(name.slice('UNKNOWN_'.length)) : undefined);
const typeNumber = (name: string) => types.toType(name);
const classNumber = (name: string | undefined) => (name === undefined ? CLASS_IN : (unknown(name) ?? classes.toClass(name)));
const className = (c: number) => classes.toString(c) as dnsPacket.RecordClass;
/** dns-packet reads the root name as '.'; a message names it ''. */
const nameOf = (n: string) => (n === '.' ? '' : n);

/** The bytes of an answer's data: an A record's address, anything else as dns-packet wrote it. */
function answerData(a: dnsPacket.Answer): string | Buffer {
  if (a.type === 'A') return a.data;
  const bytes = dnsPacket.encode({ answers: [{ ...a, name: '.' } as dnsPacket.Answer] });
  return Buffer.from(bytes.subarray(12 + 1 + 10));
}

/** Parse a message's header, questions and answers (other sections are read, not kept). */
export function parseMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new Error('short message');
  const p = dnsPacket.decode(buf);
  return {
    id: p.id ?? 0,
    flags: buf.readUInt16BE(2),
    questions: (p.questions ?? []).map((q) => ({ name: nameOf(q.name), type: typeNumber(q.type), class: classNumber(q.class) })),
    answers: (p.answers ?? []).filter((a) => a.type !== 'OPT').map((a) => {
      const r = a as dnsPacket.Answer & { class?: string; ttl?: number };
      return { name: nameOf(r.name), type: typeNumber(r.type), class: classNumber(r.class), ttl: r.ttl ?? 0, data: answerData(r) };
    }),
  };
}

/**
 * A question or answer as dns-packet writes it. A type by number ('UNKNOWN_<n>') is written as
 * that number, with the answer's data as raw bytes: only an A record's address is encoded.
 */
const wireQuestion = (q: Question): dnsPacket.Question => ({ name: q.name, type: `UNKNOWN_${q.type}` as dnsPacket.RecordType, class: className(q.class) });
function wireAnswer(a: Answer): dnsPacket.Answer {
  const base = { name: a.name, class: className(a.class), ttl: a.ttl };
  if (a.type === TYPE_A && typeof a.data === 'string') return { ...base, type: 'A', data: a.data };
  const data = typeof a.data === 'string' ? Buffer.from(a.data.split('.').map(Number)) : a.data;
  return { ...base, type: `UNKNOWN_${a.type}`, data } as unknown as dnsPacket.Answer;
}

/** Encode a query (a client's question; used by tests and tools). */
export function encodeQuery(id: number, name: string, type = TYPE_A): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: RD, questions: [wireQuestion({ name, type, class: CLASS_IN })] });
}

/** The response to a query: its id, opcode, RD and questions, with the answers and rcode given. */
export function encodeResponse(query: Message, rcode: number, answers: Answer[]): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags: (query.flags & 0x7800) | (query.flags & RD) | RA | (rcode & 0xf),
    questions: query.questions.map(wireQuestion),
    answers: answers.map(wireAnswer),
  });
}

export const rcodeOf = (m: Message): number => m.flags & 0xf;
