"""Checkpoints: written atomically, verified on resume, rotated by save_total_limit.

    output_dir/checkpoint-{step}/
        config.json, model.safetensors, tokenizer/processor files   the policy, in the hub layout
        (or trainable.safetensors instead, with trainable_only: the parameters that train, e.g. LoRA adapters)
        optimizer.pdopt  (or optimizer.rank{r}.pdopt when sharded)  AdamW moments (and fp32 master weights)
        rng_state.rank{r}.pkl                                       python / numpy / paddle RNG states
        trainer_state.json                                          step, data position, LR schedule, config
        manifest.json                                               every file's size and sha256, written last

Everything is written into `.tmp-checkpoint-{step}` and renamed when complete, so a crash mid-save leaves
no `checkpoint-*` directory behind. `verify_checkpoint` re-hashes the files against the manifest, which
catches a missing manifest (partial copy), a missing or truncated file and flipped bytes; `auto` resume
skips such a checkpoint with a warning that names it and takes the newest intact one.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import pickle
import re
import shutil

import paddle
from safetensors import safe_open
from safetensors.paddle import save_file

from paddlemix.distributed import barrier, get_rng_states, set_rng_states
from paddlemix.errors import UserError
from paddlemix.file_modes import honour_umask
from paddlemix.models.checkpoint import load_checkpoint

logger = logging.getLogger(__name__)

PREFIX = "checkpoint-"
TRAINABLE = "trainable.safetensors"
MANIFEST = "manifest.json"
STATE = "trainer_state.json"
PROCESSOR_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "chat_template.json",
    "chat_template.jinja",
    "preprocessor_config.json",
    "special_tokens_map.json",
)


class CheckpointCorrupt(UserError, RuntimeError):
    """A checkpoint that fails verification; the message names the directory and what is wrong."""


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def checkpoint_step(path: str) -> int | None:
    """The step of a `checkpoint-{step}` directory name, else None."""
    m = re.fullmatch(rf"{PREFIX}(\d+)", os.path.basename(os.path.normpath(path)))
    return int(m.group(1)) if m else None


def list_checkpoints(output_dir: str) -> list[str]:
    """The `checkpoint-*` directories of output_dir, oldest first."""
    found = [p for p in glob.glob(os.path.join(output_dir, f"{PREFIX}*")) if checkpoint_step(p) is not None]
    return sorted(found, key=checkpoint_step)


def optimizer_file(rank: int, sharded: bool) -> str:
    """The optimizer state file of a rank."""
    return f"optimizer.rank{rank}.pdopt" if sharded else "optimizer.pdopt"


def _rename_state(state: dict, names: dict[str, str]) -> dict:
    """Rename an optimizer state's keys from one parameter naming to another (`names`: old -> new).

    Paddle keys optimizer states by `param.name` ("linear_12.w_0_moment1_0"), a process-wide counter that
    differs between runs; checkpoints store the model's structured names ("model.norm.weight_moment1_0").
    """
    ordered = sorted(names, key=len, reverse=True)

    def rename(key: str) -> str:
        for old in ordered:
            if key == old or key.startswith(old + "_"):
                return names[old] + key[len(old) :]
        return key

    out = {}
    for key, value in state.items():
        if key == "master_weights" and isinstance(value, dict):
            out[key] = {rename(k): v for k, v in value.items()}
        elif key == "LR_Scheduler":
            out[key] = value
        else:
            out[rename(key)] = value
    return out


def save_checkpoint(
    output_dir: str,
    step: int,
    model,
    optimizer,
    state: dict,
    source_dir: str,
    rank: int = 0,
    sharded_optimizer: bool = False,
    total_limit: int | None = None,
    trainable_only: bool = False,
) -> str:
    """Write checkpoint-{step} atomically (every rank calls this); returns its path.

    `state` (JSON-serialisable) is written as trainer_state.json; `source_dir` provides the processor files.
    `trainable_only` writes only the parameters that train (by name, Paddle layout), e.g. LoRA adapters: the
    frozen rest is the starting checkpoint, which resuming loads first anyway.
    """
    final = os.path.join(output_dir, f"{PREFIX}{step}")
    tmp = os.path.join(output_dir, f".tmp-{PREFIX}{step}")
    if rank == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
    barrier()
    if rank == 0:
        if trainable_only:
            trainable = {n: p.detach() for n, p in model.named_parameters() if not p.stop_gradient}
            save_file(trainable, os.path.join(tmp, TRAINABLE), metadata={"format": "paddle"})
            honour_umask(os.path.join(tmp, TRAINABLE))
        else:
            model.save_pretrained(tmp)
        copy_processor_files(source_dir, tmp)
        with open(os.path.join(tmp, STATE), "w", encoding="utf-8") as f:
            json.dump(state, f, indent=2)
    if rank == 0 or sharded_optimizer:
        names = {p.name: n for n, p in model.named_parameters()}
        state_dict = _rename_state(optimizer.state_dict(), names)
        paddle.save(state_dict, os.path.join(tmp, optimizer_file(rank, sharded_optimizer)))
    with open(os.path.join(tmp, f"rng_state.rank{rank}.pkl"), "wb") as f:
        pickle.dump(get_rng_states(), f)
    barrier()
    if rank == 0:
        files = sorted(n for n in os.listdir(tmp) if n != MANIFEST)
        manifest = {
            n: {"bytes": os.path.getsize(os.path.join(tmp, n)), "sha256": _sha256(os.path.join(tmp, n))}
            for n in files
        }
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as f:
            json.dump({"step": step, "files": manifest}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        _publish(tmp, final)
        if total_limit is not None:
            rotate_checkpoints(output_dir, total_limit)
    barrier()
    return final


def copy_processor_files(source_dir: str, dest: str) -> None:
    """Copy the tokenizer/processor files that `source_dir` has (of `PROCESSOR_FILES`) into `dest`."""
    for name in PROCESSOR_FILES:
        if os.path.isfile(os.path.join(source_dir, name)):
            shutil.copy(os.path.join(source_dir, name), os.path.join(dest, name))


def _publish(tmp: str, final: str) -> None:
    """Make the finished temporary directory the checkpoint, in one rename."""
    if os.path.isdir(final):
        shutil.rmtree(final)
    os.replace(tmp, final)


def rotate_checkpoints(output_dir: str, limit: int) -> None:
    """Delete the oldest checkpoints so that at most `limit` remain."""
    for old in list_checkpoints(output_dir)[:-limit]:
        logger.info("deleting %s (save_total_limit %d)", old, limit)
        shutil.rmtree(old, ignore_errors=True)


def remove_stale_temporaries(output_dir: str) -> None:
    """Delete `.tmp-checkpoint-*` left by a save that was interrupted."""
    for tmp in glob.glob(os.path.join(output_dir, f".tmp-{PREFIX}*")):
        logger.warning("removing %s, left by an interrupted save", tmp)
        shutil.rmtree(tmp, ignore_errors=True)


def verify_checkpoint(path: str) -> str | None:
    """Why the checkpoint at `path` is unusable, or None if every file matches its manifest."""
    if not os.path.isdir(path):
        return "no such directory"
    manifest_path = os.path.join(path, MANIFEST)
    if not os.path.isfile(manifest_path):
        return f"partial: no {MANIFEST} (the save did not finish)"
    try:
        with open(manifest_path, encoding="utf-8") as f:
            files = json.load(f)["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        return f"corrupt {MANIFEST} ({e})"
    for name, meta in files.items():
        file = os.path.join(path, name)
        if not os.path.isfile(file):
            return f"missing file {name}"
        if os.path.getsize(file) != meta["bytes"]:
            return f"{name} has {os.path.getsize(file)} bytes, the manifest says {meta['bytes']} (truncated?)"
        if _sha256(file) != meta["sha256"]:
            return f"{name} does not match its sha256 in the manifest (corrupt)"
    return None


def resolve_resume(output_dir: str, resume: str) -> str | None:
    """The checkpoint to resume from for `--resume_from_checkpoint` (a path or "auto").

    "auto": the newest intact checkpoint of output_dir, warning about (and naming) each broken newer one;
    None when output_dir has no checkpoint. A path must be intact; a broken one stops the run with the reason
    and the newest intact checkpoint beside it, if any.
    """
    if resume == "auto":
        found = list_checkpoints(output_dir)
        for path in reversed(found):
            problem = verify_checkpoint(path)
            if problem is None:
                return path
            logger.warning("skipping checkpoint %s: %s; falling back to the previous one", path, problem)
        if found:
            raise CheckpointCorrupt(
                f"no intact checkpoint in {output_dir}: all of {found} failed verification"
            )
        return None
    problem = verify_checkpoint(resume)
    if problem is not None:
        parent = os.path.dirname(os.path.normpath(resume))
        good = [
            p
            for p in reversed(list_checkpoints(parent))
            if p != os.path.normpath(resume) and verify_checkpoint(p) is None
        ]
        hint = f"; the newest intact checkpoint beside it is {good[0]}" if good else ""
        raise CheckpointCorrupt(f"cannot resume from {resume}: {problem}{hint}")
    return resume


def load_training_state(path: str, model, optimizer, rank: int = 0, sharded_optimizer: bool = False) -> dict:
    """Load the policy weights, optimizer and this rank's RNG states from a verified checkpoint; returns trainer_state."""
    with open(os.path.join(path, STATE), encoding="utf-8") as f:
        state = json.load(f)
    opt_path = os.path.join(path, optimizer_file(rank, sharded_optimizer))
    if not os.path.isfile(opt_path):
        raise CheckpointCorrupt(
            f"{path} has no {os.path.basename(opt_path)}: it was written by {state.get('world_size')} process(es) "
            f"{'with' if sharded_optimizer else 'without'} sharded optimizer states differently from this run; "
            "resume with the same world size and --sharding"
        )
    if os.path.isfile(os.path.join(path, TRAINABLE)):
        load_trainable(model, os.path.join(path, TRAINABLE))
    else:
        load_checkpoint(model, path, ignore_keys=model.tied_keys())
    names = {n: p.name for n, p in model.named_parameters()}
    saved = paddle.load(opt_path)
    optimizer.set_state_dict(_rename_state(saved, names))
    rng = os.path.join(path, f"rng_state.rank{rank}.pkl")
    if os.path.isfile(rng):
        with open(rng, "rb") as f:
            set_rng_states(pickle.load(f))
    return state


def load_trainable(model, file: str) -> None:
    """Set the trainable parameters from a `trainable_only` checkpoint; the names must match exactly."""
    params = {n: p for n, p in model.named_parameters() if not p.stop_gradient}
    with safe_open(file, framework="paddle") as f:
        keys = set(f.keys())
        if keys != set(params):
            raise CheckpointCorrupt(
                f"{file} holds {len(keys)} trainable tensors but the model trains {len(params)} "
                f"(e.g. only in the file: {sorted(keys - set(params))[:3]}, only in the model: "
                f"{sorted(set(params) - keys)[:3]}); resume with the same LoRA and freezing options"
            )
        for name in keys:
            params[name].set_value(f.get_tensor(name).astype(params[name].dtype))
