"""Compiles the sandbox's seccomp filter (cBPF, for bwrap --seccomp) into the file given as argv[1].

Everything is allowed but what a program never needs and what widens the kernel's attack surface:
new user namespaces (clone with CLONE_NEWUSER, unshare, clone3, which cannot be filtered by flags
and so answers ENOSYS for libc to fall back to clone), mounts, kexec, bpf, perf events, the kernel
keyring, modules, io_uring and the like, and the btrfs ioctls that create subvolumes or snapshots
(a subvolume made inside a persistent volume would be left out of its snapshots). Syscalls of other architectures (i386 from an x86_64
program) kill the process: libseccomp's default for a foreign architecture.
"""
import errno, sys
import seccomp

DENY = [
    "unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "kexec_load", "kexec_file_load", "reboot", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key",
    "init_module", "finit_module", "delete_module", "create_module",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "nfsservctl",
    "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "iopl", "ioperm", "syslog", "vhangup", "personality", "uselib", "ustat", "sysfs", "_sysctl",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime",
]
CLONE_NEWUSER = 0x10000000

f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in DENY:
    try:
        f.add_rule(seccomp.ERRNO(errno.EPERM), name)
    except (RuntimeError, ValueError, OSError):
        pass  # not a syscall of this architecture
f.add_rule(seccomp.ERRNO(errno.EPERM), "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
# BTRFS_IOC_SNAP_CREATE, _SUBVOL_CREATE, _SNAP_CREATE_V2, _SUBVOL_CREATE_V2 (_IOW(0x94, n, 4096-byte args))
for request in (0x50009401, 0x5000940E, 0x50009417, 0x50009418):
    f.add_rule(seccomp.ERRNO(errno.EPERM), "ioctl", seccomp.Arg(1, seccomp.EQ, request))
with open(sys.argv[1], "wb") as out:
    f.export_bpf(out)
