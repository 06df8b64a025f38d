/**
 * The extra attributes `docker logs --details` shows before each line: the labels and
 * environment variables the container's log options name (labels, labels-regex, env,
 * env-regex), as "k=v,k2=v2" sorted by key and query-escaped, as Docker's log readers do.
 * With none it is "", and --details shows each line after a lone space.
 */
export function logAttributes(labels: Record<string, string> | null | undefined, env: string[] | null | undefined, logOpts: Record<string, string> | null | undefined): string {
  const o = logOpts ?? {};
  const ls = labels ?? {};
  const envMap = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) envMap.set(e.slice(0, i), e.slice(i + 1));
  }
  const extra = new Map<string, string>();
  for (const k of splitList(o.labels)) if (k in ls) extra.set(k, ls[k]);
  const labelsRe = regex(o['labels-regex']);
  if (labelsRe) for (const [k, v] of Object.entries(ls)) if (labelsRe.test(k)) extra.set(k, v);
  for (const k of splitList(o.env)) if (envMap.has(k)) extra.set(k, envMap.get(k)!);
  const envRe = regex(o['env-regex']);
  if (envRe) for (const [k, v] of envMap) if (envRe.test(k)) extra.set(k, v);
  return [...extra.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${queryEscape(k)}=${queryEscape(v)}`)
    .join(',');
}

const splitList = (s: string | undefined) => (s ? s.split(',') : []);

function regex(s: string | undefined): RegExp | undefined {
  if (!s) return undefined;
  try {
    return new RegExp(s);
  } catch {
    return undefined;
  }
}

/** Go's url.QueryEscape: spaces as "+", the rest of the unreserved set kept. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}
