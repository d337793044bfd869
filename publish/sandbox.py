"""Shut a query worker off from the network and bound its memory (the layer under the guard).

The guard (publish/guard.py) refuses SERVICE; this module makes an outbound request
impossible even if a parser gap let one through. Once the worker has loaded the dump it
installs a seccomp filter (Linux 3.17+, x86-64 or AArch64) on every thread of the process:

* ``socket()`` for any family but ``AF_UNIX`` fails with EACCES (the worker talks to the server
  over a socket pair made before the filter, and never needs a new socket);
* ``io_uring_setup()`` fails with EPERM (io_uring could open sockets past the filter);
* system calls of another ABI (x32, or i386 via ``int 0x80``) fail with EPERM.

The server's own query thread (publish/lane.py) installs the same filter on itself alone: a
seccomp filter without TSYNC binds the thread that installs it, so the threads that answer HTTP
keep their sockets while the one that runs queries can open none.

The filter is a dozen classic-BPF instructions built here and handed to the kernel through
ctypes: no extra dependency, and it cannot be lifted again (``PR_SET_NO_NEW_PRIVS``).

Memory: ``RLIMIT_DATA`` caps the worker's heap; a query over it fails to allocate, the worker
ends and the pool replaces it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import platform
import resource
import socket
import struct
import sys
from dataclasses import dataclass

from .errors import QueryError

_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_X32_BIT = 0x40000000
_IO_URING_SETUP = 425  # the same number on every architecture since Linux 5.1


@dataclass(frozen=True, slots=True)
class _Arch:
    audit: int  # AUDIT_ARCH_* in linux/audit.h
    seccomp: int  # __NR_seccomp
    socket: int  # __NR_socket
    x32: bool  # whether the x32 ABI shares this architecture's audit value


_ARCHES = {
    "x86_64": _Arch(audit=0xC000003E, seccomp=317, socket=41, x32=True),
    "aarch64": _Arch(audit=0xC00000B7, seccomp=277, socket=198, x32=False),
}


class SandboxError(QueryError):
    """The network sandbox cannot be installed on this system."""


def supported() -> str | None:
    """Return None if this system can sandbox workers, else the reason it cannot."""
    if sys.platform != "linux":
        return f"seccomp filters need Linux; this is {sys.platform}"
    if platform.machine() not in _ARCHES:
        return f"no seccomp filter is written for the {platform.machine()} architecture"
    return None


def program(arch: _Arch) -> bytes:
    """Return the classic-BPF filter for ``arch`` as ``struct sock_filter`` records."""
    deny_eperm = _RET_ERRNO | errno.EPERM
    deny_eacces = _RET_ERRNO | errno.EACCES
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    code = [
        (ld, 0, 0, 4),  # 0: A = seccomp_data.arch
        (jeq, 1, 0, arch.audit),  # 1: native ABI → 3
        (ret, 0, 0, deny_eperm),  # 2
        (ld, 0, 0, 0),  # 3: A = seccomp_data.nr
        (jge, 5, 0, _X32_BIT) if arch.x32 else (jeq, 5, 0, 0xFFFFFFFF),  # 4: x32 call → 10
        (jeq, 4, 0, _IO_URING_SETUP),  # 5: → 10
        (jeq, 1, 0, arch.socket),  # 6: → 8
        (ret, 0, 0, _RET_ALLOW),  # 7
        (ld, 0, 0, 16),  # 8: A = low word of args[0], the address family
        (jeq, 2, 1, socket.AF_UNIX),  # 9: AF_UNIX → 12, else → 11
        (ret, 0, 0, deny_eperm),  # 10
        (ret, 0, 0, deny_eacces),  # 11
        (ret, 0, 0, _RET_ALLOW),  # 12
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def deny_network(*, every_thread: bool = True) -> None:
    """Install the filter on every thread of this process, or (``every_thread=False``) on the
    calling thread alone and the threads it starts; raise SandboxError if the kernel refuses."""
    reason = supported()
    if reason is not None:
        raise SandboxError(f"cannot shut the query engine off from the network: {reason}")
    arch = _ARCHES[platform.machine()]
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    code = program(arch)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxError(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {_errno()}")
    result = libc.syscall(
        arch.seccomp,
        _SECCOMP_SET_MODE_FILTER,
        _SECCOMP_FILTER_FLAG_TSYNC if every_thread else 0,
        ctypes.byref(prog),
    )
    if result != 0:
        raise SandboxError(f"the kernel refused the seccomp filter: {_errno() if result < 0 else result}")


def limit_memory(megabytes: int) -> None:
    """Cap this process's data segment (heap and private mappings) at ``megabytes`` MiB."""
    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _errno() -> str:
    number = ctypes.get_errno()
    return f"{errno.errorcode.get(number, str(number))} ({number})"
