import type { ProcessUser } from './oci-spec';

/** Resolve Docker's "-u user[:group]" against the image's /etc/passwd and /etc/group (pure). */
export function resolveUser(spec: string, passwd: string, group: string): ProcessUser {
  const [userPart, groupPart] = spec ? spec.split(':', 2) : ['', undefined];
  const pw = parseColonFile(passwd);
  const gr = parseColonFile(group);
  let uid = 0;
  let gid = 0;
  let name: string | undefined;
  if (userPart === '' || userPart === undefined) {
    const root = pw.find((e) => e[2] === '0');
    name = root?.[0] ?? 'root';
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const e = pw.find((x) => x[2] === userPart);
    if (e) {
      gid = Number(e[3]);
      name = e[0];
    }
  } else {
    const e = pw.find((x) => x[0] === userPart);
    if (!e) throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = Number(e[2]);
    gid = Number(e[3]);
    name = e[0];
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = gr.find((x) => x[0] === groupPart);
      if (!g) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  const additionalGids =
    groupPart === undefined && name
      ? gr.filter((g) => (g[3] ?? '').split(',').includes(name!)).map((g) => Number(g[2])).filter((g) => g !== gid)
      : [];
  return { uid, gid, additionalGids };
}

function parseColonFile(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

/** HostConfig.GroupAdd: numeric ids as given, names looked up in the image's /etc/group (dockerd's message when missing). */
export function resolveGroupAdd(groups: string[] | null | undefined, group: string): number[] {
  const gr = parseColonFile(group);
  return (groups ?? []).map((g) => {
    if (/^\d+$/.test(g)) return Number(g);
    const e = gr.find((x) => x[0] === g);
    if (!e) throw new Error(`Unable to find group ${g}: no matching entries in group file`);
    return Number(e[2]);
  });
}
