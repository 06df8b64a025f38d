/** Time formatting shared by views and wire shapes. */
export function nanosToRfc3339(n: bigint): string {
  const ms = Number(n / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

/** Now, in nanoseconds since the epoch (milliseconds from the wall clock, the rest from hrtime). */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000);
}

export function nowRfc3339(): string {
  return nanosToRfc3339(nowNanos());
}

/** Parse Docker's "seconds[.nanos]" or RFC3339 into nanoseconds. */
export function parseTimestamp(s: string, now = Date.now()): bigint {
  if (/^\d+(\.\d{1,9})?$/.test(s)) {
    const [sec, frac = ''] = s.split('.');
    return BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(s);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return BigInt(Math.round(now - Number(dur[1]) * mult[dur[2]])) * 1_000_000n;
  }
  const d = Date.parse(s);
  if (Number.isNaN(d)) throw new Error(`invalid timestamp: ${s}`);
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  return BigInt(Math.floor(d / 1000)) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

/** go-units HumanDuration, as in Docker's "Up 3 seconds" / "Exited (0) 2 minutes ago" and the CLI's "CREATED". */
export function humanDuration(seconds: number): string {
  const ms = seconds * 1000;
  const s = Math.trunc(seconds);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}
