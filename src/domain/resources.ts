/**
 * Docker's HostConfig resource limits: one shape for what create records, what update
 * changes and what the runtime turns into cgroup settings.
 */
export interface ResourceLimits {
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  NanoCpus?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  PidsLimit?: number | null;
}
