import { invalidArgument } from '../../domain/errors';
import type { ImageConfig } from '../../domain/events';
import { expandWord, splitWords } from '../../domain/shell-words';

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
        // Expanded with the environment as it was before this instruction, as Docker's builder does.
        const env = envMap(out.Env);
        const words = splitWords(arg);
        // The legacy form "ENV KEY value with spaces" has no "=" in its first word.
        const pairs = words.length && !words[0].includes('=') ? [[expandWord(words[0], env), expandWord(arg.slice(arg.indexOf(words[0]) + words[0].length).trim(), env)]] : words.map((w) => splitPair(expandWord(w, env)));
        out.Env = [...(out.Env ?? [])];
        for (const [k, v] of pairs) {
          // A name already set keeps its place, as in Docker's builder.
          const at = out.Env.findIndex((e) => e.startsWith(`${k}=`));
          if (at >= 0) out.Env[at] = `${k}=${v}`;
          else out.Env.push(`${k}=${v}`);
        }
        break;
      }
      case 'WORKDIR':
        out.WorkingDir = expandWord(arg, envMap(out.Env));
        break;
      case 'USER':
        out.User = expandWord(arg, envMap(out.Env));
        break;
      case 'LABEL': {
        const env = envMap(out.Env);
        out.Labels = { ...(out.Labels ?? {}) };
        for (const w of splitWords(arg)) {
          const [k, v] = splitPair(expandWord(w, env));
          out.Labels[k] = v;
        }
        break;
      }
      case 'EXPOSE': {
        const env = envMap(out.Env);
        out.ExposedPorts = { ...(out.ExposedPorts ?? {}) };
        for (const w of splitWords(arg)) {
          const p = expandWord(w, env);
          if (p) out.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
        }
        break;
      }
      case 'VOLUME': {
        const env = envMap(out.Env);
        out.Volumes = { ...(out.Volumes ?? {}) };
        // VOLUME takes a JSON array or whitespace-separated paths (no shell form); each is expanded.
        const json = arg.startsWith('[') ? jsonArray(arg) : undefined;
        for (const v of json ? json.map((x) => expandWord(x, env, false)) : splitWords(arg).map((w) => expandWord(w, env))) out.Volumes[v] = {};
        break;
      }
      case 'STOPSIGNAL':
        out.StopSignal = expandWord(arg, envMap(out.Env));
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

/** CMD and ENTRYPOINT are not expanded (the shell in the container does it), as in a Dockerfile. */
function execForm(arg: string): string[] {
  return (arg.startsWith('[') && jsonArray(arg)) || ['/bin/sh', '-c', arg];
}

function jsonArray(arg: string): string[] | undefined {
  try {
    const v = JSON.parse(arg) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // not JSON: the caller's other form
  }
  return undefined;
}

/** An image's Env as a map (the last entry of a name wins). */
function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
  }
  return m;
}

function splitPair(word: string): [string, string] {
  const i = word.indexOf('=');
  return i < 0 ? [word, ''] : [word.slice(0, i), word.slice(i + 1)];
}
