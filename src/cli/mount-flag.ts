/** docker's --mount and -v flags, turned client-side into HostConfig.Mounts, Binds and Config.Volumes. */

export interface MountSpec {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  BindOptions?: { Propagation?: string };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

function flagBool(key: string, v: string | undefined): boolean {
  if (v === undefined) return true;
  if (/^(1|t|T|true|TRUE|True)$/.test(v)) return true;
  if (/^(0|f|F|false|FALSE|False)$/.test(v)) return false;
  throw new Error(`invalid value for ${key}: ${v}`);
}

/** --mount type=volume,source=x,target=/p,readonly,volume-nocopy,... as the docker CLI parses it. */
export function parseMountFlag(raw: string): MountSpec {
  const m: MountSpec = { Type: 'volume', Target: '' };
  const volumeOptions = () => (m.VolumeOptions ??= {});
  for (const field of raw.split(',')) {
    const i = field.indexOf('=');
    const key = (i < 0 ? field : field.slice(0, i)).toLowerCase();
    const val = i < 0 ? undefined : field.slice(i + 1);
    const need = () => {
      if (val === undefined) throw new Error(`invalid field '${field}' must be a key=value pair`);
      return val;
    };
    switch (key) {
      case 'type':
        m.Type = need();
        break;
      case 'source':
      case 'src':
        m.Source = need();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = need();
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = flagBool(key, val);
        break;
      case 'bind-propagation':
        m.BindOptions = { Propagation: need() };
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = flagBool(key, val);
        break;
      case 'volume-label': {
        const [k, ...v] = need().split('=');
        volumeOptions().Labels = { ...(volumeOptions().Labels ?? {}), [k]: v.join('=') };
        break;
      }
      case 'volume-driver':
        volumeOptions().DriverConfig = { ...(volumeOptions().DriverConfig ?? {}), Name: need() };
        break;
      case 'volume-opt': {
        const [k, ...v] = need().split('=');
        const dc = (volumeOptions().DriverConfig ??= {});
        dc.Options = { ...(dc.Options ?? {}), [k]: v.join('=') };
        break;
      }
      case 'tmpfs-size':
        m.TmpfsOptions = { ...(m.TmpfsOptions ?? {}), SizeBytes: Number(need()) };
        break;
      case 'tmpfs-mode':
        m.TmpfsOptions = { ...(m.TmpfsOptions ?? {}), Mode: parseInt(need(), 8) };
        break;
      case 'consistency':
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  return m;
}

/** -v: a spec with a source is a bind (or named volume) in Binds; a lone path is an anonymous volume in Config.Volumes. */
export function splitVolumeFlags(vals: string[]): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const v of vals) {
    if (v.includes(':')) binds.push(v);
    else volumes[v] = {};
  }
  return { binds, volumes };
}
