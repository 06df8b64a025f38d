import type { ContainerView } from '../../domain/container';
import { isRunning } from '../../domain/container';
import { conflict, internal, invalidArgument, noSuchContainer } from '../../domain/errors';

import { appendFor, findContainer, getContainer } from '../lookup';

import type { EngineDeps } from '../ports';

/** What container-links uses of the engine. */
export type ContainerLinksDeps = Pick<EngineDeps, 'journal' | 'views' | 'locks'>;
/** --link name:alias, as HostConfig.Links holds it ("name:alias" or Docker's "/name:/parent/alias"). */
export interface Link {
  child: ContainerView;
  alias: string;
}

export function linksOf(ctx: ContainerLinksDeps, c: ContainerView): Link[] {
  const links = (c.hostConfig.Links as string[] | null | undefined) ?? [];
  return links.flatMap((l) => {
    const [name, aliasPath] = l.split(':');
    const child = findContainer(ctx.views, name.replace(/^\//, ''));
    if (!child) return [];
    const alias = (aliasPath ?? name).split('/').pop() || child.name;
    return [{ child, alias }];
  });
}

/** At create: every linked container exists (Docker's check and words). */
export function checkLinkTargets(ctx: ContainerLinksDeps, links: unknown): void {
  for (const l of (links as string[] | null | undefined) ?? []) {
    const name = l.split(':')[0].replace(/^\//, '');
    if (!findContainer(ctx.views, name)) throw invalidArgument(`could not get container for ${name}: No such container: ${name}`);
  }
}

/** HostConfig.Links as Docker records them: "/<child>:/<parent>/<alias>" (from "name" or "name:alias"). */
export function normalizeLinks(ctx: ContainerLinksDeps, links: string[], parent: string): string[] {
  return links.map((l) => {
    const [name, aliasPath] = l.split(':');
    const child = getContainer(ctx.views, name.replace(/^\//, ''));
    const alias = (aliasPath ?? name).split('/').pop() || child.name;
    return `/${child.name}:/${parent}/${alias}`;
  });
}

/** Every linked container must exist and run when the container starts (Docker's rule). */
export function checkLinks(ctx: ContainerLinksDeps, c: ContainerView): void {
  for (const l of (c.hostConfig.Links as string[] | null | undefined) ?? []) {
    const [name, aliasPath] = l.split(':');
    const child = getContainer(ctx.views, name.replace(/^\//, ''));
    const alias = (aliasPath ?? name).split('/').pop();
    if (!isRunning(child)) throw conflict(`Cannot link to a non running container: /${child.name} AS /${c.name}/${alias}`);
  }
}

/** The linked containers' addresses for /etc/hosts: "ip alias hostname name". */
export function linkHosts(ctx: ContainerLinksDeps, c: ContainerView): { ip: string; names: string[] }[] {
  return linksOf(ctx, c).flatMap(({ child, alias }) => {
    const ip = Object.values(child.networks ?? {})[0]?.ip;
    if (!ip) return [];
    const names = [alias, child.config.Hostname];
    if (alias !== child.name) names.push(child.name);
    return [{ ip, names }];
  });
}

/**
 * The environment a link gives (seed-features §4.4): ALIAS_NAME, ALIAS_PORT (the lowest
 * exposed port), ALIAS_PORT_<p>_<PROTO> with _PROTO, _ADDR and _PORT, and the child's own
 * environment as ALIAS_ENV_<VAR> (but HOME and PATH). ALIAS is the alias uppercased.
 */
export function linkEnv(ctx: ContainerLinksDeps, c: ContainerView): string[] {
  const env: string[] = [];
  for (const { child, alias } of linksOf(ctx, c)) {
    const A = alias.toUpperCase();
    const ip = Object.values(child.networks ?? {})[0]?.ip ?? '';
    env.push(`${A}_NAME=/${c.name}/${alias}`);
    const ports = Object.keys(child.config.ExposedPorts ?? {})
      .map((k) => {
        const [p, proto] = k.split('/');
        return { port: Number(p), proto: proto || 'tcp' };
      })
      .filter((p) => p.port > 0)
      .sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
    if (ports.length) env.push(`${A}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
    for (const p of ports) {
      const key = `${A}_PORT_${p.port}_${p.proto.toUpperCase()}`;
      env.push(`${key}=${p.proto}://${ip}:${p.port}`, `${key}_PROTO=${p.proto}`, `${key}_ADDR=${ip}`, `${key}_PORT=${p.port}`);
    }
    for (const e of child.config.Env ?? []) {
      const i = e.indexOf('=');
      if (i <= 0) continue;
      const name = e.slice(0, i);
      if (name === 'HOME' || name === 'PATH') continue;
      env.push(`${A}_ENV_${name}=${e.slice(i + 1)}`);
    }
  }
  return env;
}

/** The names links give containers (Docker's "/<parent>/<alias>"), by the linked container's id: ps shows them. */
export function linkNameIndex(ctx: ContainerLinksDeps): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const parent of ctx.views.containers.values()) {
    for (const { child, alias } of linksOf(ctx, parent)) {
      const names = out.get(child.id) ?? [];
      names.push(`/${parent.name}/${alias}`);
      out.set(child.id, names);
    }
  }
  return out;
}

/**
 * docker rm --link <parent>/<alias>: the parent's link goes (Docker's words when the name is
 * a container's own, or no such link).
 */
export async function removeLink(ctx: ContainerLinksDeps, ref: string): Promise<void> {
  const name = ref.replace(/^\/+/, '');
  const i = name.lastIndexOf('/');
  if (i < 0) {
    getContainer(ctx.views, name);
    // Docker answers this with a 500.
    throw internal('Conflict, cannot remove the default link name of the container');
  }
  const parentName = name.slice(0, i);
  const alias = name.slice(i + 1);
  const parent = findContainer(ctx.views, parentName);
  if (!parent) throw noSuchContainer(name);
  await ctx.locks.run(parent.id, async () => {
    const p = getContainer(ctx.views, parent.id);
    const entry = ((p.hostConfig.Links as string[] | null | undefined) ?? []).find((l) => {
      const [child, aliasPath] = l.split(':');
      return (aliasPath ?? child).split('/').pop() === alias;
    });
    if (!entry) throw noSuchContainer(name);
    await appendFor(ctx, p, [{ type: 'container.link-removed', data: { id: p.id, link: entry } }]);
  });
}
