"""Children that obey file modes as any user would, although the tests run as root."""

from __future__ import annotations

import ctypes
import os

PR_CAPBSET_DROP = 24  # from <linux/prctl.h>
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def without_root_powers() -> None:
    """preexec_fn: the child (and what it execs) can no longer read or write past
    file modes; it exits 125 where the capabilities cannot be dropped."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(125)
