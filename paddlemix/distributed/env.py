"""Process-group setup through paddle.distributed.fleet, and how model, optimizer and gradients follow it.

- One process (not launched): nothing is initialised; `DistEnv(rank=0, world_size=1)`.
- Data parallel (`sharding=""`): every rank holds the whole model and optimizer; `sync_gradients` averages
  the gradients over the data-parallel group once per optimizer step, after all accumulation micro-steps
  (so the number of backward calls may differ between ranks).
- Sharding stage 1: fleet's DygraphShardingOptimizer splits the optimizer states over the sharding group and
  reduces the gradients inside `optimizer.step()`. Runs on CPU (gloo) and GPU.
- Sharding stages 2/3: `group_sharded_parallel`, GPU only (its communication needs NCCL), refused on CPU.
  Stage 3 also shards the parameters: `gather_parameters` collects them before generation and saving.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import paddle.distributed as dist

from paddlemix.models.runtime import on_gpu

logger = logging.getLogger(__name__)

# PaddleNLP's meaning of --hybrid_parallel_topo_order: the rank order of the hybrid groups.
_TOPO_ORDERS = {
    "sharding_first": ["dp", "sharding", "pp", "sep", "mp"],
    "pp_first": ["dp", "pp", "sharding", "sep", "mp"],
}
_GROUP_SHARDED_LEVELS = {"stage2": "os_g", "stage3": "p_g_os"}


def launched_world_size() -> int:
    """The number of processes `paddle.distributed.launch` started (1 when run directly)."""
    return int(os.environ.get("PADDLE_TRAINERS_NUM", "1"))


@dataclass
class DistEnv:
    """This process's place in the job and the parallelism in use."""

    rank: int = 0
    world_size: int = 1
    sharding: str = ""  # "" | stage1 | stage2 | stage3
    sharding_degree: int = 1
    hcg: Any = None  # fleet's HybridCommunicateGroup when launched

    @property
    def data_parallel_degree(self) -> int:
        """Ranks that hold different data but the same optimizer shard layout."""
        return self.world_size // self.sharding_degree

    def wrap(self, model, optimizer):
        """The model and optimizer as this parallelism needs them (unchanged for one process / data parallel)."""
        if self.world_size == 1 or not self.sharding:
            return model, optimizer
        if self.sharding == "stage1":
            from paddle.distributed import fleet

            # distributed_model broadcasts rank 0's parameters; distributed_optimizer shards the states.
            return fleet.distributed_model(model), fleet.distributed_optimizer(optimizer)
        from paddle.distributed.sharding import group_sharded_parallel

        model, optimizer, _ = group_sharded_parallel(
            model, optimizer, level=_GROUP_SHARDED_LEVELS[self.sharding]
        )
        return model, optimizer

    def gather_parameters(self, wrapped) -> None:
        """Stage 3: all-gather the sharded parameters, before generating with or saving the whole model."""
        if self.world_size > 1 and self.sharding == "stage3":
            wrapped.get_all_parameters()

    def sync_gradients(self, params) -> None:
        """Average gradients over the data-parallel ranks (sharding reduces its own inside the optimizer)."""
        if self.world_size == 1 or self.sharding:
            return
        from paddle.distributed.fleet.utils.hybrid_parallel_util import fused_allreduce_gradients

        fused_allreduce_gradients(list(params), self.hcg)

    @property
    def optimizer_state_is_sharded(self) -> bool:
        """Whether each rank holds only its part of the optimizer states (and saves it separately)."""
        return self.world_size > 1 and bool(self.sharding)


def init_distributed(
    sharding: str = "", sharding_degree: int = -1, topo_order: str = "sharding_first"
) -> DistEnv:
    """Initialise fleet for a launched job (hybrid groups: data parallel × sharding), or nothing for one process.

    Raises RuntimeError for sharding stage 2/3 without a GPU, before any process group is made.
    """
    if sharding in _GROUP_SHARDED_LEVELS and not on_gpu():
        raise RuntimeError(
            f"--sharding {sharding} uses paddle's group_sharded_parallel, which needs GPUs (NCCL); this run is on "
            "CPU. Use --sharding stage1 or data parallel (no --sharding) on CPU."
        )
    world = launched_world_size()
    if world == 1:
        if sharding:
            logger.warning("--sharding %s with one process: nothing to shard, running unsharded", sharding)
        return DistEnv()
    degree = world if (not sharding or sharding_degree == -1) else sharding_degree
    if not sharding:
        degree = 1
    if world % degree:
        raise RuntimeError(f"--sharding_parallel_degree {degree} does not divide the {world} processes")
    from paddle.distributed import fleet

    strategy = fleet.DistributedStrategy()
    strategy.hybrid_configs = {
        "dp_degree": world // degree,
        "mp_degree": 1,
        "pp_degree": 1,
        "sharding_degree": degree,
        "sep_degree": 1,
        "order": _TOPO_ORDERS[topo_order],
    }
    fleet.init(is_collective=True, strategy=strategy)
    return DistEnv(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        sharding=sharding,
        sharding_degree=degree,
        hcg=fleet.get_hybrid_communicate_group(),
    )


_DATA_PARALLEL: list[DistEnv] = []  # the job's DistEnv once `data_parallel_env` has set it up


def data_parallel_env() -> DistEnv:
    """This process's place in a data-parallel job (set up on the first call); `DistEnv()` when not launched.

    For work that shards samples rather than a model (evaluation): every call returns the same DistEnv.
    """
    if not _DATA_PARALLEL:
        _DATA_PARALLEL.append(init_distributed() if launched_world_size() > 1 else DistEnv())
    return _DATA_PARALLEL[0]
