/** pause, unpause, restart: one call per container, its name printed on success. */
import { int, perContainerCommand } from '../command';

export const pause = perContainerCommand({
  name: 'pause',
  description: 'Pause all processes within one or more containers',
  call: (client, ref) => client.containerPause(ref),
});

export const unpause = perContainerCommand({
  name: 'unpause',
  description: 'Unpause all processes within one or more containers',
  call: (client, ref) => client.containerUnpause(ref),
});

export const restart = perContainerCommand<{ time?: number; signal?: string }>({
  name: 'restart',
  description: 'Restart one or more containers',
  declare: (cmd) =>
    cmd.option('-s, --signal <string>', 'Signal to send to the container').option('-t, --time <int>', 'Seconds to wait before killing the container', int),
  call: (client, ref, f) => client.containerRestart(ref, { timeout: f.time, signal: f.signal }),
});
