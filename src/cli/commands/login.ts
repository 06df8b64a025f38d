import type { Command } from 'commander';
import { ClientError, type Client } from '../../client/client';
import { PROG, UsageError, type CommandSpec, type IO } from '../command';
import { configDir, convertToHostname, DockerConfigFile, INDEX_SERVER, type AuthConfig } from '../docker-config';
import { PlainError, plainFailure } from './pull';

export interface LoginOptions {
  serverAddress?: string;
  user?: string;
  password?: string;
  passwordStdin: boolean;
  config?: string;
}

const REGISTER_SUGGEST =
  "Log in with your Docker ID or email address to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com/ to create one.";

/** What docker's file store prints the first time it writes a password. */
function unencryptedWarning(file: string): string {
  return `\nWARNING! Your credentials are stored unencrypted in '${file}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`;
}

/** tui's PrintNote off a terminal: a blank line, " Info -> ", the text. */
function note(text: string): string {
  const header = ' Info -> ';
  return `\n${header}${text
    .split('\n')
    .map((l, i) => `${i ? ' '.repeat(header.length) : ''}${l}\n`)
    .join('')}`;
}

/**
 * Lines of stdin, read one at a time (what is left over stays for the next read); echo off
 * (raw mode) on a terminal for a password. An end of input gives what was read (or '').
 */
class LineReader {
  private buf = '';
  private ended = false;

  constructor(private readonly io: IO) {}

  async read(echo = true): Promise<string> {
    const stdin = this.io.stdin;
    const raw = !echo && stdin.isTTY && typeof stdin.setRawMode === 'function';
    if (raw) stdin.setRawMode!(true);
    try {
      return await new Promise<string>((resolve, reject) => {
        const take = (): boolean => {
          if (raw) {
            // Raw mode: Enter is \r, Ctrl-C interrupts, backspace deletes.
            let line = '';
            for (let i = 0; i < this.buf.length; i++) {
              const ch = this.buf[i];
              if (ch === '\r' || ch === '\n') {
                this.buf = this.buf.slice(i + 1);
                finish(line);
                return true;
              }
              if (ch === '\x03') {
                finish(undefined, new PlainError(''));
                return true;
              }
              if (ch === '\x7f' || ch === '\b') line = line.slice(0, -1);
              else line += ch;
            }
            return false;
          }
          const nl = this.buf.indexOf('\n');
          if (nl < 0) return false;
          const line = this.buf.slice(0, nl);
          this.buf = this.buf.slice(nl + 1);
          finish(line);
          return true;
        };
        const onData = (d: Buffer | string) => {
          this.buf += d.toString();
          take();
        };
        const onEnd = () => {
          this.ended = true;
          const rest = this.buf;
          this.buf = '';
          finish(rest);
        };
        const finish = (line: string | undefined, err?: Error) => {
          stdin.off('data', onData);
          stdin.off('end', onEnd);
          stdin.pause();
          if (err) reject(err);
          else resolve(line ?? '');
        };
        if (take()) return;
        if (this.ended) return finish(this.buf);
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.resume();
      });
    } finally {
      if (raw) stdin.setRawMode!(false);
    }
  }
}

async function readAllStdin(io: IO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** command.PromptUserForCredentials: ask for what the flags did not give. */
async function promptForCredentials(io: IO, lines: LineReader, argUser: string, argPassword: string, defaultUsername: string, serverAddress: string): Promise<AuthConfig> {
  argUser = argUser.trim();
  if (!argUser) {
    if (serverAddress === INDEX_SERVER) io.stdout.write(`${REGISTER_SUGGEST}\n`);
    defaultUsername = defaultUsername.trim();
    io.stdout.write(defaultUsername ? `Username (${defaultUsername}): ` : 'Username: ');
    argUser = (await lines.read()).trim();
    if (!argUser) argUser = defaultUsername;
    if (!argUser) throw new PlainError('Error: Non-null Username Required');
  }
  argPassword = argPassword.trim();
  if (!argPassword) {
    io.stdout.write('Password: ');
    argPassword = (await lines.read(false)).trim();
    io.stdout.write('\n');
    if (!argPassword) throw new PlainError('Error: Password Required');
  }
  return { username: argUser, password: argPassword, serveraddress: serverAddress };
}

/** Store what the login gave (a token instead of the password when the registry sent one). */
function storeCredentials(io: IO, cfg: DockerConfigFile, a: AuthConfig, identityToken?: string): void {
  const entry = { ...a };
  if (identityToken) {
    entry.password = '';
    entry.identitytoken = identityToken;
  }
  try {
    if (cfg.store(entry) && entry.password) io.stderr.write(unencryptedWarning(cfg.filename));
  } catch (e) {
    throw new PlainError(`Error saving credentials: ${(e as Error).message}`);
  }
}

function authBody(a: AuthConfig): Record<string, string | undefined> {
  return { username: a.username || undefined, password: a.password || undefined, serveraddress: a.serveraddress || undefined, identitytoken: a.identitytoken || undefined };
}

export async function runLogin(o: LoginOptions, client: Client, io: IO): Promise<number> {
  try {
    // verifyLoginFlags, then verifyLoginOptions.
    if (o.passwordStdin) {
      if (o.password !== undefined) throw new PlainError('conflicting options: cannot specify both --password and --password-stdin');
      if (o.user === undefined) throw new PlainError('the --password-stdin option requires --username to be set');
    }
    if (o.user !== undefined && o.user === '') throw new PlainError('username is empty');
    if (o.password !== undefined && o.password === '') throw new PlainError('password is empty');
    let password = o.password ?? '';
    const user = o.user ?? '';
    if (password) io.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (o.passwordStdin) password = (await readAllStdin(io)).replace(/\n$/, '').replace(/\r$/, '');

    const serverAddress = o.serverAddress && o.serverAddress !== 'docker.io' ? o.serverAddress : INDEX_SERVER;
    const isDefault = serverAddress === INDEX_SERVER;
    const key = isDefault ? serverAddress : convertToHostname(serverAddress);
    const cfg = DockerConfigFile.load(configDir(o.config));
    const lines = new LineReader(io);

    // Credentials already stored (and none given): try them first.
    const stored: AuthConfig = user === '' && password === '' ? { ...cfg.get(key), serveraddress: key, identitytoken: undefined } : { serveraddress: key };
    let status: string | undefined;
    let storedFailed = true;
    if (stored.username && stored.password) {
      io.stderr.write(`Authenticating with existing credentials... [Username: ${stored.username}]\n`);
      io.stderr.write(note(`To login with a different account, run '${PROG} logout' followed by '${PROG} login'`));
      io.stderr.write('\n\n');
      let err: unknown;
      let token: string | undefined;
      try {
        const r = await client.registryLogin(authBody(stored));
        status = r.Status;
        token = r.IdentityToken;
      } catch (e) {
        err = e;
        if (e instanceof ClientError && e.status === 401) io.stderr.write('Stored credentials invalid or expired\n');
        else io.stderr.write(`Login did not succeed, error: ${e instanceof ClientError ? `Error response from daemon: ${e.message}` : (e as Error).message}\n`);
      }
      storeCredentials(io, cfg, stored, token);
      storedFailed = err !== undefined;
    }
    if (storedFailed) {
      if ((!user || !password) && !io.stdin.isTTY) throw new PlainError('Error: Cannot perform an interactive login from a non TTY device');
      const a = await promptForCredentials(io, lines, user, password, stored.username ?? '', key);
      const r = await client.registryLogin(authBody(a));
      storeCredentials(io, cfg, a, r.IdentityToken);
      status = r.Status;
    }
    if (status) io.stdout.write(`${status}\n`);
    return 0;
  } catch (e) {
    return plainFailure(e, io);
  }
}

export const login: CommandSpec<LoginOptions> = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  description: 'Authenticate to a registry',
  declare: (cmd: Command) =>
    cmd
      .argument('[args...]', 'SERVER')
      .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
      .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
      .option('-u, --username <string>', 'Username'),
  options: (a, f) => {
    const args = (a[0] as string[]) ?? [];
    if (args.length > 1) throw new UsageError(`'${PROG} login' requires at most 1 argument`);
    return {
      serverAddress: args[0],
      user: f.username as string | undefined,
      password: f.password as string | undefined,
      passwordStdin: Boolean(f.passwordStdin),
      config: f.config as string | undefined,
    };
  },
  run: runLogin,
};

export const logout: CommandSpec<{ serverAddress?: string; config?: string }> = {
  name: 'logout',
  usage: '[SERVER]',
  description: 'Log out from a registry',
  declare: (cmd: Command) => cmd.argument('[args...]', 'SERVER'),
  options: (a, f) => {
    const args = (a[0] as string[]) ?? [];
    if (args.length > 1) throw new UsageError(`'${PROG} logout' requires at most 1 argument`);
    return { serverAddress: args[0], config: f.config as string | undefined };
  },
  run: async (o, _client, io) => {
    const isDefault = !o.serverAddress;
    const serverAddress = o.serverAddress || INDEX_SERVER;
    const hostname = isDefault ? serverAddress : convertToHostname(serverAddress);
    const keys = isDefault ? [serverAddress] : [serverAddress, hostname, `http://${hostname}`, `https://${hostname}`];
    io.stdout.write(`Removing login credentials for ${hostname}\n`);
    const errors: [string, string][] = [];
    let cfg: DockerConfigFile | undefined;
    try {
      cfg = DockerConfigFile.load(configDir(o.config));
    } catch (e) {
      for (const k of keys) errors.push([k, (e as Error).message]);
    }
    if (cfg) {
      for (const k of keys) {
        try {
          cfg.erase(k);
        } catch (e) {
          errors.push([k, (e as Error).message]);
        }
      }
    }
    if (errors.length === keys.length) {
      io.stderr.write('WARNING: could not erase credentials:\n');
      for (const [k, m] of errors) io.stderr.write(`${k}: ${m}\n`);
    }
    return 0;
  },
};
