"""What the CPU can do natively, from its feature flags (``/proc/cpuinfo``), so that emulated paths are never chosen.

oneDNN reports bfloat16 as "supported" on any AVX-512 CPU, where it is emulated and slower than
float32; only the ``avx512_bf16`` and ``amx_bf16`` flags mean the hardware runs it. The flags
can be replaced through the ``FASTAED_CPU_FLAGS`` environment variable (space-separated), which
is how a CPU without them is tried on one that has them, and the other way round.
"""
import os
from pathlib import Path

CPU_FLAGS_VARIABLE = "FASTAED_CPU_FLAGS"
NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8"})


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """The CPU's feature flags as a frozenset (``FASTAED_CPU_FLAGS`` when set; empty where unknown).

    Example:
        >>> "avx2" in cpu_flags() or True
        True
    """
    forced = os.environ.get(CPU_FLAGS_VARIABLE)
    if forced is not None:
        return frozenset(forced.split())
    try:
        for line in Path(cpuinfo).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                return frozenset(value.split())
    except OSError:
        pass
    return frozenset()


def cpu_has_native_bf16(flags=None):
    """True when the CPU flags show bfloat16 arithmetic in hardware (AVX512-BF16 or AMX-BF16).

    Example:
        >>> cpu_has_native_bf16({"avx2", "avx512f", "avx512_vnni"}), cpu_has_native_bf16({"amx_bf16"})
        (False, True)
    """
    return bool(NATIVE_BF16_FLAGS & set(cpu_flags() if flags is None else flags))
