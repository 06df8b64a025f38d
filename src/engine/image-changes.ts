import { invalidArgument } from '../domain/errors';
import type { ImageConfig } from '../domain/events';

/** Apply Dockerfile-style --change instructions (CMD, ENTRYPOINT, ENV, ...) to an image config. */
export function applyChanges(config: ImageConfig, changes: string[]): ImageConfig {
  const out: ImageConfig = { ...config };
  for (const change of changes) {
    const m = /^\s*(\w+)\s+([\s\S]*)$/.exec(change);
    if (!m) throw invalidArgument(`dockerfile parse error: ${change}`);
    const verb = m[1].toUpperCase();
    const arg = m[2].trim();
    switch (verb) {
      case 'CMD':
        out.Cmd = execForm(arg);
        break;
      case 'ENTRYPOINT':
        out.Entrypoint = execForm(arg);
        break;
      case 'ENV': {
        const pairs = arg.includes('=') ? arg.match(/(\S+?)=("[^"]*"|\S*)/g) ?? [] : [arg.replace(/\s+/, '=')];
        out.Env = [...(out.Env ?? [])];
        for (const p of pairs) {
          const [k] = p.split('=', 1);
          const v = p.slice(k.length + 1).replace(/^"(.*)"$/, '$1');
          out.Env = [...out.Env.filter((e) => !e.startsWith(`${k}=`)), `${k}=${v}`];
        }
        break;
      }
      case 'WORKDIR':
        out.WorkingDir = arg;
        break;
      case 'USER':
        out.User = arg;
        break;
      case 'LABEL': {
        out.Labels = { ...(out.Labels ?? {}) };
        for (const p of arg.match(/(\S+?)=("[^"]*"|\S*)/g) ?? []) {
          const [k] = p.split('=', 1);
          out.Labels[k] = p.slice(k.length + 1).replace(/^"(.*)"$/, '$1');
        }
        break;
      }
      case 'EXPOSE':
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const p of arg.split(/\s+/)) out.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        break;
      case 'VOLUME':
        out.Volumes = { ...(out.Volumes ?? {}) };
        // VOLUME takes a JSON array or whitespace-separated paths (no shell form).
        for (const v of arg.startsWith('[') ? execForm(arg) : arg.split(/\s+/)) out.Volumes[v] = {};
        break;
      case 'STOPSIGNAL':
        out.StopSignal = arg;
        break;
      case 'ONBUILD':
        out.OnBuild = [...(out.OnBuild ?? []), arg];
        break;
      default:
        throw invalidArgument(`${verb} is not a valid change command`);
    }
  }
  return out;
}

function execForm(arg: string): string[] {
  if (arg.startsWith('[')) {
    try {
      const v = JSON.parse(arg) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    } catch {
      // fall through to shell form
    }
  }
  return ['/bin/sh', '-c', arg];
}
