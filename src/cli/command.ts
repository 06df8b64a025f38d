/** What every command shares: its I/O, how it reports errors, and how it is wired into commander. */
import { InvalidArgumentError, type Command } from 'commander';
import type { Readable, Writable } from 'node:stream';
import { ClientError, ConnectionError, type Client } from '../client/client';
import { TemplateError } from './template';

export const PROG = 'wharf';

export interface IO {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable;
}

export const stdio: IO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/**
 * One CLI command: an options type O, a function declaring its flags and arguments, a
 * conversion from what commander parsed to O, and the function that does the work and
 * returns the exit code.
 */
export interface CommandSpec<O> {
  name: string;
  aliases?: string[];
  /** "[OPTIONS] CONTAINER [CONTAINER...]": what follows "wharf <name> " in usage lines. */
  usage: string;
  description: string;
  declare(cmd: Command): Command;
  options(args: unknown[], flags: Record<string, unknown>): O;
  run(opts: O, client: Client, io: IO): Promise<number>;
}

/** A usage problem: printed with the usage line, exit 1 (arguments) or 125 (flags). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

/** The text docker prints for an error, without a trailing newline. */
export function errorText(e: unknown): string {
  if (e instanceof ClientError) return `Error response from daemon: ${e.message}`;
  if (e instanceof ConnectionError) return e.message;
  if (e instanceof TemplateError) return e.message;
  return (e as Error)?.message ?? String(e);
}

export function printError(io: IO, e: unknown): void {
  io.stderr.write(`${errorText(e)}\n`);
}

/** Repeatable flags: -e A -e B. */
export function collect(v: string, acc: string[]): string[] {
  return [...acc, v];
}

/** Integer flags, refused like docker refuses them ("invalid argument ... for ... flag"). */
export function int(v: string): number {
  if (!/^[-+]?\d+$/.test(v.trim())) throw new InvalidArgumentError(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/**
 * Call fn for each reference in turn, like docker's multi-object commands: a failure is kept
 * and the rest carry on; a daemon that cannot be reached ends the round (one message, not
 * one per reference).
 */
export async function eachRef<T>(refs: string[], fn: (ref: string) => Promise<T>, onResult?: (v: T) => void): Promise<{ results: T[]; failed: { ref: string; error: unknown }[] }> {
  const results: T[] = [];
  const failed: { ref: string; error: unknown }[] = [];
  for (const ref of refs) {
    try {
      const v = await fn(ref);
      results.push(v);
      onResult?.(v);
    } catch (error) {
      failed.push({ ref, error });
      if (error instanceof ConnectionError) break;
    }
  }
  return { results, failed };
}

/** eachRef for commands that print a line per success: failures go to stderr, exit 1 if any failed. */
export async function forEachRef(io: IO, refs: string[], fn: (ref: string) => Promise<string | undefined>): Promise<{ code: number; failed: string[] }> {
  const { failed } = await eachRef(refs, fn, (out) => {
    if (out !== undefined) io.stdout.write(`${out}\n`);
  });
  for (const f of failed) printError(io, f.error);
  return { code: failed.length ? 1 : 0, failed: failed.map((f) => f.ref) };
}

/**
 * A command that does one call per container and prints each name it succeeded for
 * (pause, unpause, restart ...): docker's "CONTAINER [CONTAINER...]" shape.
 */
export function perContainerCommand<F extends Record<string, unknown>>(spec: {
  name: string;
  description: string;
  declare?: (cmd: Command) => Command;
  call: (client: Client, ref: string, flags: F) => Promise<void>;
}): CommandSpec<{ containers: string[]; flags: F }> {
  return {
    name: spec.name,
    usage: `${spec.declare ? '[OPTIONS] ' : ''}CONTAINER [CONTAINER...]`,
    description: spec.description,
    declare: (cmd) => (spec.declare ?? ((c: Command) => c))(cmd.argument('[containers...]', 'CONTAINER [CONTAINER...]')),
    options: (a, f) => {
      const containers = a[0] as string[];
      if (!containers.length) throw new UsageError(`'${PROG} ${spec.name}' requires at least 1 argument`);
      return { containers, flags: f as F };
    },
    run: async (o, client, io) => (await forEachRef(io, o.containers, async (ref) => (await spec.call(client, ref, o.flags), ref))).code,
  };
}

/** Read one line of an answer from stdin (y/Y/yes confirms), as docker's prompt does. */
export async function confirm(io: IO, question: string): Promise<boolean> {
  io.stdout.write(question);
  const line = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) done();
    };
    const done = () => {
      io.stdin.off('data', onData);
      io.stdin.off('end', done);
      io.stdin.pause();
      resolve(buf.split('\n')[0]);
    };
    io.stdin.on('data', onData);
    io.stdin.once('end', done);
    io.stdin.resume();
  });
  return /^(y|yes)$/i.test(line.trim());
}
