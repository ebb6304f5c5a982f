"""Install R1-MLLM on Paddle: `pip install -e .`"""

from setuptools import find_packages, setup

setup(
    name="paddlemix-r1-mllm",
    version="0.1.0",
    description="GRPO training of Qwen2-VL / Qwen2.5-VL on visual perception tasks, in PaddlePaddle",
    packages=find_packages(include=["paddlemix", "paddlemix.*"]),
    # The quickstart's tiny model: read at run time, so a non-editable install needs it too.
    package_data={"paddlemix": ["assets/README.md", "assets/tiny_qwen2_vl/*", "assets/tiny_qwen2_5_vl/*", "assets/tiny_qwen3_vl/*"]},
    python_requires=">=3.9",
    # No paddlepaddle here: pip would install the CPU wheel over a `paddlepaddle-gpu` one (a different name).
    # `import paddlemix` checks for Paddle >= 3.0 instead and names the wheels to install.
    install_requires=[
        "tokenizers",
        "safetensors",
        "huggingface_hub>=0.24",  # hub model IDs such as Qwen/Qwen2-VL-2B-Instruct (paddlemix/models/hub.py)
        "jinja2",
        "numpy",
        "pillow",
        "pyyaml",
        "math-verify~=0.9.0",  # rewards and eval; rescore reproduces R1-V's GeoQA numbers with this parser
        "pyarrow",
        "tqdm",  # eval and training progress bars
        "visualdl",  # training scalars (--report_to visualdl, the seed's)
        "rapidfuzz",  # OCR edit distance: C, bit-parallel; fast on page-length text
        "scipy",  # Hungarian matching: Vision-R1's box rewards, Affordance-R1's accuracy reward
        "pycocotools",  # COCO bbox AP: VLM-R1's OVD rewards and the detection evals
    ],
    extras_require={
        "test": ["pytest", "matplotlib", "json_repair", "gradio", "selenium"],  # gradio + selenium: the demo's browser test
        "quickstart": ["matplotlib"],  # reward_curve.png
        "reference": ["torch", "transformers>=4.50", "peft"],  # parity tests; peft loads our LoRA adapters
        "modelscope": ["modelscope"],  # PADDLEMIX_HUB=modelscope downloads hub IDs from ModelScope
        "ocr": ["jieba", "nltk"],  # Perception-R1's CJK tokens and BLEU / METEOR (METEOR also needs WordNet data)
        "affordance": ["gensim"],  # the seed's word2vec recognition term, with a vectors file of your own
        "vlm_r1": ["json_repair"],  # VLM-R1's repetition reward repairs malformed JSON answers as VLM-R1 does
        "demo": ["gradio"],  # python -m paddlemix.demo
    },
)
