"""Where the seed's data lives on disk after unpacking REC.tar, Counting.tar and GEO.tar into `data/`.

PaddleMIX's r1_mllm README offers the three prepacked archives and, as an alternative, the original
sources; its scripts then read `data/REC/rec_jsons_processed/*.json` with `--image_root data/REC`,
`data/Counting/clevr_cogen_a_train` and `data/GEO/GEOQA_R1V_Train_8K`. The eval files sit where its
eval commands and R1-V's prompt files point (`./images/...` under the SuperCLEVR-200 folder,
`./Geo170K/images/test/...` under GEO). The README does not list the archives' members; the layout
below is the one those paths imply, and RefGTA images are looked up under `REC/refgta` because the
seed evaluates RefGTA with `--image_root data/refgta`. The URLs are the README's, word for word.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskLayout:
    """One task's folder under `data/`: its archive, training data, eval file and where to get each."""

    task: str  # "rec" | "counting" | "geometry" | "ocr" | "affordance"
    dir: str  # the folder the archive unpacks to, under data/
    archive: str  # the seed's download name
    archive_url: str  # the seed's prepacked download ("" when there is none)
    train: tuple[str, ...]  # REC: annotation files under rec_jsons_processed/; else the HF dataset folder
    evals: tuple[str, ...]  # REC: eval annotation files; else the eval jsonl
    eval_image_root: str  # eval images are resolved under dir/eval_image_root
    # part -> (what, where the seed says to get it), for "missing" messages. Parts: REC "annotations",
    # "images", "refgta_images"; counting / geometry "train", "eval_images", "eval_labels".
    sources: dict[str, tuple[str, str]]


PADDLEMIX_DOWNLOADS = "https://paddlenlp.bj.bcebos.com/datasets/paddlemix/playground/r1_mllm"

REC = TaskLayout(
    task="rec",
    dir="REC",
    archive="REC.tar",
    archive_url=f"{PADDLEMIX_DOWNLOADS}/REC.tar",
    train=("refcoco_train.json", "refcocop_train.json", "refcocog_train.json"),
    evals=("refcoco_val.json", "refcocop_val.json", "refcocog_val.json", "refgta_subsample.json"),
    eval_image_root=".",
    sources={
        "annotations": (
            "RefCOCO/+/g and RefGTA annotation files (rec_jsons_processed)",
            "https://huggingface.co/datasets/omlab/VLM-R1/resolve/main/rec_jsons_processed.zip",
        ),
        "images": (
            "COCO train2014 images",
            "https://huggingface.co/datasets/omlab/VLM-R1/resolve/main/train2014.zip",
        ),
        "refgta_images": (
            "RefGTA images",
            "https://huggingface.co/datasets/omlab/VLM-R1/resolve/main/refgta.zip",
        ),
    },
)

COUNTING = TaskLayout(
    task="counting",
    dir="Counting",
    archive="Counting.tar",
    archive_url=f"{PADDLEMIX_DOWNLOADS}/Counting.tar",
    train=("clevr_cogen_a_train",),
    evals=("superclevr_test200_counting_problems.jsonl",),
    eval_image_root="superclevr_200",
    sources={
        "train": (
            "CLEVR-70K-Counting training set",
            "https://huggingface.co/datasets/leonardPKU/clevr_cogen_a_train",
        ),
        "eval_images": (
            "SuperCLEVR-200 test images",
            "https://huggingface.co/datasets/tobiaslee/Super_clevr200/resolve/main/subsplit.tgz",
        ),
        "eval_labels": (
            "SuperCLEVR-200 test labels",
            "https://github.com/Deep-Agent/R1-V/blob/main/src/eval/prompts/superclevr_test200_counting_problems.jsonl",
        ),
    },
)

GEOMETRY = TaskLayout(
    task="geometry",
    dir="GEO",
    archive="GEO.tar",
    archive_url=f"{PADDLEMIX_DOWNLOADS}/GEO.tar",
    train=("GEOQA_R1V_Train_8K",),
    evals=("geoqa_test_prompts.jsonl",),
    eval_image_root=".",
    sources={
        "train": ("GEOQA-8k training set", "https://huggingface.co/datasets/leonardPKU/GEOQA_R1V_Train_8K"),
        "eval_images": (
            "Geo170K test images (images.zip)",
            "https://huggingface.co/datasets/Luckyjhg/Geo170K",
        ),
        "eval_labels": (
            "GeoQA test labels",
            "https://github.com/Deep-Agent/R1-V/blob/main/src/eval/prompts/geoqa_test_prompts.jsonl",
        ),
    },
)

# OCR and affordance have no prepacked archive: `archive` names what `python -m paddlemix.datasets.synthetic
# --task ocr|affordance --tar` packs, and the sources say where the real data come from. Neither project
# released its training set (Perception-R1's OCR training code and data; ReasonAff, Affordance-R1 issue #1).
OCR = TaskLayout(
    task="ocr",
    dir="OCR",
    archive="OCR.tar",
    archive_url="",
    train=("ocr_train.json",),  # Perception-R1's OCR json (conversations[1].value), images relative to OCR/
    evals=("eval/en_page_ocr.json",),  # and eval/cn_page_ocr.json when there
    eval_image_root=".",
    sources={
        "train": (
            "an OCR training json of your own (Perception-R1 released none), Perception-R1's format",
            "https://github.com/linkangheng/PR1",
        ),
        "eval_labels": (
            "PageOCR en/zh (Fox benchmark) in Perception-R1's eval json format",
            "https://github.com/ucaslcl/Fox",
        ),
        "eval_images": ("the Fox PageOCR page images", "https://github.com/ucaslcl/Fox"),
    },
)

AFFORDANCE = TaskLayout(
    task="affordance",
    dir="Affordance",
    archive="Affordance.tar",
    archive_url="",
    train=("reasonaff_train",),  # Hugging Face dataset folder, split train
    evals=("reasonaff_test",),  # Hugging Face dataset folder, split test, with masks
    eval_image_root=".",
    sources={
        "train": (
            "ReasonAff training set (not released; Affordance-R1 issue #1), in its fields",
            "https://github.com/hq-King/Affordance-R1",
        ),
        "eval_labels": (
            "ReasonAff test set, or UMD part-affordance / AGD20K converted to its test fields",
            "https://github.com/hq-King/Affordance-R1",
        ),
        "eval_images": (
            "UMD part-affordance and AGD20K images (for the other two benchmarks)",
            "https://users.umiacs.umd.edu/~amyers/part-affordance-dataset/ ; https://github.com/lhc1224/Cross-View-AG",
        ),
    },
)

LAYOUTS = {layout.task: layout for layout in (REC, COUNTING, GEOMETRY, OCR, AFFORDANCE)}

REC_ANNOTATIONS = "rec_jsons_processed"


def rec_image_root(annotation_file: str) -> str:
    """The folder under REC/ that a REC annotation file's `image` paths are relative to."""
    return "refgta" if annotation_file.startswith("refgta") else "."
