"""What every trainer shares (GRPO today, SFT next); a trainer imports from the modules:

    config.py           ModelConfig, DataConfig, TrainerConfig, DistributedConfig; resolve_task
    optimizer.py        build_optimizer (AdamW + warmup, linear / cosine / constant decay), lr_lambda
    precision.py        resolve_precision -> Precision (float32 or bf16 / fp16 AMP O1 / O2, loss scaler)
    data.py             load_train_dataset; PromptSchedule, local_slots, total_batches (which sample
                        fills which slot of which batch); PromptEncoder, PromptLoader -> PromptBatch
    checkpointing.py    save_checkpoint, resolve_resume, load_training_state (atomic, verified, exact resume)
    output_dir.py       prepare_output_dir (resume / overwrite), save_final_model
    metrics_logging.py  metrics_logger -> MetricsLogger (progress bar, VisualDL scalars, log line)
    logprobs.py         sequence_token_logprobs, completion_logprobs, PolicyLogprobs
    reference.py        build_reference (a frozen copy of the starting weights, for a KL term)
    update.py           grads_finite, apply_gradients, backward_nothing, NonFiniteGuard, NonFiniteLossError

Nothing here imports `paddlemix.rl` (tests/training checks): an algorithm composes these pieces into its trainer.
"""
