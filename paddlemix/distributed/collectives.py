"""Collectives over numpy arrays and small objects that are the identity in a single process."""

from __future__ import annotations

import numpy as np
import paddle
import paddle.distributed as dist


def _world() -> int:
    """Processes in the default group (1 when paddle.distributed is not initialised)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def all_reduce_array(values, op: str = "sum") -> np.ndarray:
    """Element-wise sum (or "max"/"min") of a float64 array over all ranks."""
    arr = np.asarray(values, dtype=np.float64)
    if _world() == 1:
        return arr.copy()
    ops = {"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX, "min": dist.ReduceOp.MIN}
    t = paddle.to_tensor(arr)
    dist.all_reduce(t, op=ops[op])
    return t.numpy()


def all_gather_array(values) -> np.ndarray:
    """Stack each rank's array (same shape everywhere) in rank order: (world, *shape), float64."""
    arr = np.asarray(values, dtype=np.float64)
    if _world() == 1:
        return arr[None].copy()
    gathered: list = []
    dist.all_gather(gathered, paddle.to_tensor(arr))
    return np.stack([g.numpy() for g in gathered])


def broadcast_object(obj, src: int = 0):
    """`obj` of rank `src` on every rank (a picklable object)."""
    if _world() == 1:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=src)
    return holder[0]


def all_gather_objects(obj) -> list:
    """Every rank's `obj` (picklable), in rank order; `[obj]` in a single process."""
    if _world() == 1:
        return [obj]
    gathered: list = []
    dist.all_gather_object(gathered, obj)
    return gathered


def barrier() -> None:
    """Wait for every rank."""
    if _world() > 1:
        dist.barrier()
