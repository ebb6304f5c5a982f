"""Moved: the prompt templates live in each task's file (`paddlemix/tasks/`), the message builders in
`paddlemix.tasks.prompts`. These names stay importable from here until their last callers move.
"""

from paddlemix.tasks.prompts import build_messages, prompt_template, prompt_text, sample_messages

__all__ = ["build_messages", "prompt_template", "prompt_text", "sample_messages"]
