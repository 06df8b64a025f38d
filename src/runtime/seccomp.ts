/**
 * The default seccomp filter of a container: what Docker's default profile refuses, grouped
 * by the capability that lifts the refusal (as Docker's profile allows mount with
 * CAP_SYS_ADMIN, reboot with CAP_SYS_BOOT, ...). Everything else is allowed; a refused call
 * fails with EPERM. --privileged and --security-opt seccomp=unconfined run without it.
 * (Docker's profile is an allow-list; this deny-list covers its refusals on x86_64.)
 */
const DENIED: [cap: string | undefined, syscalls: string[]][] = [
  [undefined, ['add_key', 'keyctl', 'request_key', 'bpf', 'perf_event_open', 'userfaultfd', 'kexec_file_load', 'kexec_load', 'create_module',
    'get_kernel_syms', 'query_module', 'nfsservctl', 'uselib', 'ustat', 'sysfs', '_sysctl', 'vm86', 'vm86old', 'lookup_dcookie',
    'get_mempolicy', 'set_mempolicy', 'mbind', 'move_pages', 'kcmp']],
  ['CAP_SYS_ADMIN', ['mount', 'umount', 'umount2', 'pivot_root', 'setns', 'unshare', 'swapon', 'swapoff', 'quotactl', 'name_to_handle_at',
    'open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr']],
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime']],
  ['CAP_SYS_PTRACE', ['process_vm_readv', 'process_vm_writev']],
];

export function defaultSeccomp(capabilities: string[]): Record<string, unknown> {
  const names = DENIED.filter(([cap]) => !cap || !capabilities.includes(cap)).flatMap(([, s]) => s);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names, action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
  };
}
