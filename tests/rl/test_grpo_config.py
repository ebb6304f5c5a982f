"""The training config: the seed's command lines parse, YAML then flags override defaults, no-effect options fail."""

from __future__ import annotations

import pytest

from paddlemix.config import ConfigError, help_text
from paddlemix.distributed import init_distributed
from paddlemix.rl.grpo.config import TrainConfig, load_train_config

# The flags of PaddleMIX r1_mllm/scripts/run_grpo_{counting,geometry,rec}.sh, with their shell variables
# expanded as the scripts' defaults do (GPUS=8).
SEED_COMMON = """--do_train --output_dir work_dirs/out --logging_dir work_dirs/out/logs --max_prompt_length 512
--num_generations 8 --bf16 True --fp16 False --fp16_opt_level O2 --num_train_epochs 1
--per_device_train_batch_size 1 --gradient_accumulation_steps 2 --recompute True --logging_steps 1
--report_to visualdl --save_strategy steps --save_steps 100 --save_total_limit 1 --tensor_parallel_degree=1
--sharding_parallel_degree=8 --pipeline_parallel_degree=1 --sep_parallel_degree=1 --sharding stage2
--amp_master_grad=1 --hybrid_parallel_topo_order=sharding_first"""
SEED_SCRIPTS = {
    "counting": """--model_name_or_path Qwen/Qwen2-VL-2B-Instruct --dataset_name data/Counting/clevr_cogen_a_train
--max_completion_length 512 --overwrite_output_dir True --dataloader_num_workers 8 --max_steps 100
--freeze_vision False --max_pixels 401408 --num_train_epochs 1 --run_name counting""",
    "geometry": """--model_name_or_path Qwen/Qwen2-VL-2B-Instruct --dataset_name data/GEO/GEOQA_R1V_Train_8K
--max_completion_length 512 --freeze_vision True --max_pixels 401408""",
    "rec": """--model_name_or_path Qwen/Qwen2.5-VL-3B-Instruct
--dataset_name paddlemix/examples/r1_mllm/data_config/rec.yaml --image_root data/REC --max_prompt_length 1024
--max_completion_length 256 --overwrite_output_dir True --dataloader_num_workers 8 --max_steps 500
--attn_implementation eager --freeze_vision False""",
}


@pytest.mark.parametrize("script", sorted(SEED_SCRIPTS))
def test_every_flag_of_the_seed_scripts_parses(script):
    cfg = load_train_config((SEED_COMMON + "\n" + SEED_SCRIPTS[script]).split())
    assert cfg.model.bf16 and cfg.model.amp_master_grad and cfg.model.recompute
    assert cfg.distributed.sharding == "stage2" and cfg.distributed.sharding_parallel_degree == 8
    assert cfg.trainer.save_total_limit == 1 and cfg.trainer.logging_dir == "work_dirs/out/logs"
    assert cfg.data.resolved_task == {"counting": "counting", "geometry": "geometry", "rec": "rec"}[script]
    if script == "rec":
        assert cfg.data.image_root == "data/REC" and cfg.trainer.max_steps == 500
    if script == "geometry":
        assert cfg.model.freeze_vision and cfg.data.max_pixels == 401408


def test_yaml_then_command_line(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "model:\n  model_name_or_path: m\n"
        "data: {dataset_name: d}\n"
        "beta: 0.0\n"  # a flat key works too
        "trainer:\n  output_dir: o\n  learning_rate: 1.0e-5\n"
        "reward_funcs: [accuracy]\n"
    )
    cfg = load_train_config(
        ["--config", str(path), "--learning_rate", "2e-5", "--reward_funcs", "accuracy", "format"]
    )
    assert cfg.grpo.beta == 0.0  # from the YAML
    assert cfg.trainer.learning_rate == 2e-5  # the flag wins
    assert cfg.grpo.reward_funcs == ["accuracy", "format"]
    assert cfg.grpo.epsilon == 0.2 and cfg.trainer.seed == 42  # defaults
    cfg = load_train_config(
        [f"--config={path}", "--grpo.beta", "0.1", "--reward_weights", "1,0.5", "--reward_funcs", "a,b"]
    )
    assert cfg.grpo.beta == 0.1 and cfg.grpo.reward_weights == [1.0, 0.5]


BASE = ["--model_name_or_path", "m", "--dataset_name", "d", "--output_dir", "o"]


@pytest.mark.parametrize(
    "flags, message",
    [
        # the seed silently ignored these; here an option that would do nothing is an error
        (["--image_root", "imgs"], "image_root has no effect"),
        (["--max_steps", "10", "--num_train_epochs", "3"], "num_train_epochs has no effect"),
        (["--epsilon", "0.3"], "no effect with num_iterations=1"),
        (["--epsilon_high", "0.28"], "no effect with num_iterations=1"),
        (["--save_strategy", "no", "--save_steps", "10"], "no effect with --save_strategy no"),
        (["--report_to", "none", "--logging_dir", "x"], "logging_dir has no effect"),
        (["--fp16_opt_level", "O2"], "fp16_opt_level has no effect"),
        (["--bf16", "--amp_master_grad"], "amp_master_grad has no effect"),
        (["--sharding_parallel_degree", "2"], "no effect without --sharding"),
        # values and combinations that cannot run
        (["--bf16", "--fp16"], "exclusive"),
        (["--reward_funcs", "a", "b", "--reward_weights", "1"], "1 --reward_weights for 2"),
        (["--num_generations", "1"], "num_generations must be >= 2"),
        (["--loss_type", "ppo"], "loss_type must be one of"),
        (["--scale_rewards", "max"], "scale_rewards must be one of"),
        (["--tensor_parallel_degree", "2"], "only 1 is supported"),
        (["--num_iterations", "2", "--save_steps", "3"], "multiple of --num_iterations"),
        (["--resume_from_checkpoint", "auto", "--overwrite_output_dir"], "overwrite_output_dir deletes"),
        (["--do_train", "False"], "only trains"),
        (["--learning_rate", "fast"], "--learning_rate takes a number"),
        (["--recompute", "maybe"], "--recompute takes True or False"),
        (["--no_such_flag", "1"], "unknown option --no_such_flag"),
        (["--max_steps"], "--max_steps needs a value"),
    ],
)
def test_invalid_and_no_effect_options_are_errors(flags, message):
    with pytest.raises(ConfigError, match=message):
        load_train_config(BASE + flags)


def test_rec_file_needs_image_root_and_required_fields():
    with pytest.raises(ConfigError, match="image_root is required"):
        load_train_config(["--model_name_or_path", "m", "--dataset_name", "rec.yaml", "--output_dir", "o"])
    with pytest.raises(ConfigError, match="model_name_or_path is required"):
        load_train_config(["--dataset_name", "d", "--output_dir", "o"])


def test_unknown_yaml_key_lists_the_section(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("grpo:\n  betta: 0.1\n")
    with pytest.raises(ConfigError, match="unknown key grpo.betta; grpo has: .*beta"):
        load_train_config(["--config", str(path)] + BASE)


def test_epsilon_is_accepted_with_several_iterations():
    cfg = load_train_config(
        BASE + ["--num_iterations", "2", "--epsilon", "0.3", "--epsilon_high", "0.4", "--save_steps", "4"]
    )
    assert (cfg.grpo.epsilon, cfg.grpo.epsilon_high, cfg.grpo.num_iterations) == (0.3, 0.4, 2)


@pytest.mark.parametrize("stage", ["stage2", "stage3"])
def test_group_sharded_stages_refuse_the_cpu(stage):
    with pytest.raises(RuntimeError, match=f"--sharding {stage} .* needs GPUs"):
        init_distributed(stage)


def test_help_documents_every_field():
    text = help_text(TrainConfig, "train")
    for flag in (
        "--beta",
        "--amp_master_grad",
        "--hybrid_parallel_topo_order",
        "--save_total_limit",
        "--top_k",
    ):
        assert flag in text
    assert "0 builds no reference model" in text


BASE = ["--model_name_or_path", "m", "--dataset_name", "d", "--output_dir", "o"]


@pytest.mark.parametrize(
    "flags, message",
    [
        # given, whatever its value: the default value is as ineffective as any other
        (["--scale_rewards", "none", "--advantage_epsilon", "1e-4"], "--advantage_epsilon has no effect"),
        (["--scale_rewards", "none", "--advantage_epsilon", "2e-4"], "--advantage_epsilon has no effect"),
        (["--max_resample", "3"], "--max_resample has no effect"),
        (["--epsilon", "0.2"], "--epsilon/--epsilon_high have no effect"),
        (["--beta", "0", "--kl_estimator", "k3"], "--kl_estimator has no effect"),
        (["--save_strategy", "no", "--save_steps", "500"], "--save_steps/--save_total_limit have no effect"),
        (["--lora_alpha", "16"], "--lora_alpha has no effect"),
    ],
)
def test_an_option_with_no_effect_is_an_error_whatever_its_value(flags, message):
    with pytest.raises(ValueError, match=message):
        load_train_config(BASE + flags)


def test_options_not_given_are_not_no_effect_errors():
    cfg = load_train_config(BASE + ["--scale_rewards", "none", "--beta", "0", "--save_strategy", "no"])
    assert cfg.grpo.advantage_epsilon == 1e-4 and cfg.trainer.save_steps == 500
