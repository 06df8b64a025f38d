/** --ulimit name=soft[:hard] as go-units ParseUlimit reads it. */

const NAMES = new Set(['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

function parseInt64(v: string): number {
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function parseUlimit(val: string): Ulimit {
  const eq = val.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${val}`);
  const name = val.slice(0, eq);
  const rest = val.slice(eq + 1);
  if (!NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const parts = rest.split(':');
  if (parts.length > 2) throw new Error(`too many limit value arguments - ${rest}, can only have up to two, \`soft[:hard]\``);
  const hardGiven = parts.length === 2 ? parseInt64(parts[1]) : undefined;
  const soft = parseInt64(parts[0]);
  const hard = hardGiven ?? soft;
  if (hard !== -1) {
    if (soft === -1) throw new Error(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${hard}`);
    if (soft > hard) throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  }
  return { Name: name, Hard: hard, Soft: soft };
}

/** The --ulimit flags as docker sends them: one per name (the last wins), sorted by name. */
export function ulimitList(vals: string[]): Ulimit[] {
  const byName = new Map<string, Ulimit>();
  for (const v of vals) {
    const u = parseUlimit(v);
    byName.set(u.Name, u);
  }
  return [...byName.values()].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}
