import pino, { type Logger } from 'pino';

/** pino: JSON lines for machines; readable lines (pino-pretty) when stderr is a terminal. */
export function makeLogger(level: string): Logger {
  if (process.stderr.isTTY) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (o: object) => NodeJS.WritableStream;
    return pino({ level }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: 2 }));
  }
  return pino({ level }, pino.destination(2));
}
