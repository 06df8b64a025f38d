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
  /** -s/--storage-driver (docker info: Storage Driver); overlay2 when absent. */
  storageDriver?: string;
  /** --log-driver (docker info: Logging Driver); json-file when absent. */
  loggingDriver?: string;
  /** Warnings the daemon's settings call for (--iptables=false ...), shown first among docker info's. */
  settingWarnings?: string[];
}
