"""Distributed setup, written once: fleet init and hybrid groups, collectives, seeding, rank-0 logging.

    env = init_distributed(sharding="stage1")      # one process: a no-op DistEnv(rank=0, world_size=1)
    model, optimizer = env.wrap(model, optimizer)
    ...
    env.sync_gradients(params)                      # data parallel: all-reduce (sharding does it in step)

Launch several processes with `python -m paddle.distributed.launch --nproc_per_node N python -m <module> ...`
(the launcher runs a command, so the module is started with `python -m`); on a CPU build it selects the gloo
backend by itself.
"""

from paddlemix.distributed.collectives import (
    all_gather_array,
    all_gather_objects,
    all_reduce_array,
    barrier,
    broadcast_object,
)
from paddlemix.distributed.env import DistEnv, data_parallel_env, init_distributed, launched_world_size
from paddlemix.distributed.logging import setup_logging
from paddlemix.distributed.seeding import derived_seed, get_rng_states, seed_everything, set_rng_states

__all__ = [
    "DistEnv",
    "all_gather_array",
    "all_gather_objects",
    "all_reduce_array",
    "barrier",
    "broadcast_object",
    "data_parallel_env",
    "derived_seed",
    "get_rng_states",
    "init_distributed",
    "launched_world_size",
    "seed_everything",
    "set_rng_states",
    "setup_logging",
]
