/** Facts about the daemon that /version and /info report. */
export interface SystemInfo {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  dataRoot: string;
  kernelVersion: string;
  operatingSystem: string;
  hostname: string;
  ncpu: number;
  memTotal: number;
  debug: boolean;
  id: string;
}
