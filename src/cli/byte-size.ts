/** Sizes and CPU counts as the docker CLI reads them (go-units RAMInBytes, opts.ParseCPUs). */

const BINARY: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Go's strconv.ParseFloat, for the plain decimal forms a size can take. */
function parseGoFloat(num: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(num)) throw new Error(`strconv.ParseFloat: parsing "${num}": invalid syntax`);
  return Number(num);
}

/** "64m" → 67108864: binary multiples, an optional b / ib suffix; docker's error texts. */
export function ramInBytes(size: string): number {
  let sep = -1;
  for (let i = size.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(size[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${size}'`);
  const num = size[sep] !== ' ' ? size.slice(0, sep + 1) : size.slice(0, sep);
  let sfx = size.slice(sep + 1);
  let n = parseGoFloat(num);
  if (n < 0) throw new Error(`invalid size: '${size}'`);
  if (sfx.length === 0) return Math.trunc(n);
  const bad = () => new Error(`invalid suffix: '${sfx}'`);
  if (sfx.length > 3) throw bad();
  sfx = sfx.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw bad();
    return Math.trunc(n);
  }
  const mul = BINARY[sfx[0]];
  if (mul === undefined) throw bad();
  n *= mul;
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw bad();
  return Math.trunc(n);
}

/** --memory-swap: a size, or -1 for unlimited. */
export function memSwapBytes(v: string): number {
  return v === '-1' ? -1 : ramInBytes(v);
}

/** --cpus "1.5" → 1500000000 nano-CPUs; a rational number, exact to the nano. */
export function parseCpus(value: string): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(value);
  const frac = /^[+-]?(\d+)\/(\d+)$/.exec(value);
  if (frac) {
    const nano = (BigInt(frac[1]) * 1_000_000_000n) / BigInt(frac[2]);
    if ((BigInt(frac[1]) * 1_000_000_000n) % BigInt(frac[2]) !== 0n) throw new Error('value is too precise');
    return Number(value.startsWith('-') ? -nano : nano);
  }
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`failed to parse ${value} as a rational number`);
  // digits × 10^(exp - fraction length), × 1e9: exact with bigints.
  const digits = BigInt(`${m[2]}${m[3] ?? ''}` || '0');
  const scale = Number(m[4] ?? 0) - (m[3] ?? '').length + 9;
  let nano: bigint;
  if (scale >= 0) nano = digits * 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    if (digits % div !== 0n) throw new Error('value is too precise');
    nano = digits / div;
  }
  return Number(m[1] === '-' ? -nano : nano);
}
