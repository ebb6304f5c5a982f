"""Install R1-MLLM on Paddle: `pip install -e .`"""

from setuptools import find_packages, setup

setup(
    name="paddlemix-r1-mllm",
    version="0.1.0",
    description="GRPO training of Qwen2-VL / Qwen2.5-VL on visual perception tasks, in PaddlePaddle",
    packages=find_packages(include=["paddlemix", "paddlemix.*"]),
    # The quickstart's tiny model: read at run time, so a non-editable install needs it too.
    package_data={"paddlemix": ["assets/README.md", "assets/tiny_qwen2_vl/*"]},
    python_requires=">=3.9",
    install_requires=[
        "paddlepaddle>=3.0",
        "tokenizers",
        "safetensors",
        "jinja2",
        "numpy",
        "pillow",
        "pyyaml",
        "math-verify~=0.9.0",  # rewards and eval; rescore reproduces R1-V's GeoQA numbers with this parser
        "pyarrow",
        "tqdm",  # eval and training progress bars
        "visualdl",  # training scalars (--report_to visualdl, the seed's)
    ],
    extras_require={
        "test": ["pytest", "matplotlib"],
        "quickstart": ["matplotlib"],  # reward_curve.png
        "reference": ["torch", "transformers>=4.50", "peft"],  # parity tests; peft loads our LoRA adapters
    },
)
