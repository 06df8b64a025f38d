/** Time formatting shared by views and wire shapes. */
export function nanosToRfc3339(n: bigint): string {
  const ms = Number(n / 1_000_000n);
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  const frac = (n % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${frac}Z`;
}

export function nowRfc3339(): string {
  return nanosToRfc3339(BigInt(Date.now()) * 1_000_000n + BigInt(process.hrtime()[1] % 1_000_000));
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

/** Docker's "Up 3 seconds" / "Exited (0) 2 minutes ago" durations. */
export function humanDuration(seconds: number): string {
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${Math.floor(seconds)} seconds`;
  const m = Math.round(seconds / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(seconds / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}
