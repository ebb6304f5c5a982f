"""The `llm` accuracy method's judge: an OpenAI-compatible chat endpoint asked VLM-R1's question, with a timeout.

    judge = LlmJudge("http://127.0.0.1:11434/v1", "qwen2.5:7b", timeout=30)
    judge.check()                                  # preflight: JudgeError (one line) when unreachable
    judge.score(messages)                          # POST {url}/chat/completions, temperature 0 -> float

VLM-R1 (`evaluate_answer_similarity`) hard-codes a local `qwen2.5:7b` through the `openai` client and, on any
error, silently falls back to exact string equality. Here an unreachable endpoint, an HTTP error or a reply
that is not a score is a `JudgeError`: the reward runner counts and names it, and the VLM-R1 loader calls
`check()` before a run whose data uses `llm`, so a wrong `--llm_judge_url` stops it at once (a user error). `OPENAI_API_KEY`, when
set, is sent as the bearer token, as the `openai` client does. Only the standard library is used.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

from paddlemix.metrics.vlm_r1 import judge_verdict


class JudgeError(ConnectionError):
    """The LLM judge cannot be reached or gave no score; `fix` says what to do (entry points print it)."""

    def __init__(self, what: str, fix: str = ""):
        super().__init__(what)
        self.fix = fix


@dataclass(frozen=True)
class LlmJudge:
    """One OpenAI-compatible endpoint and model, asked with temperature 0."""

    url: str  # the API base, e.g. http://host:port/v1 (".../chat/completions" is appended)
    model: str = "qwen2.5:7b"
    timeout: float = 30.0  # seconds per request

    def _post(self, path: str, body: dict | None) -> dict:
        """The JSON reply of `path` under the base URL (GET when `body` is None); JudgeError on any failure."""
        url = self.url.rstrip("/") + path
        headers = {"Content-Type": "application/json"}
        if os.environ.get("OPENAI_API_KEY"):
            headers["Authorization"] = f"Bearer {os.environ['OPENAI_API_KEY']}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise JudgeError(f"the LLM judge at {url} answered HTTP {e.code} ({e.reason})") from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise JudgeError(
                f"the LLM judge at {url} is unreachable ({reason})",
                fix="start the endpoint or fix --llm_judge_url / --llm_judge_model",
            ) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise JudgeError(f"the LLM judge at {url} did not answer JSON") from None

    def check(self) -> None:
        """Preflight: the endpoint answers a one-word chat request; JudgeError otherwise."""
        self.reply([{"role": "user", "content": "Output only 1.0"}])

    def reply(self, messages: list[dict]) -> str:
        """The judge's text reply to `messages`."""
        out = self._post("/chat/completions", {"model": self.model, "messages": messages, "temperature": 0})
        try:
            return str(out["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError):
            raise JudgeError(f"the LLM judge at {self.url} sent no choices[0].message.content") from None

    def score(self, messages: list[dict]) -> float:
        """The judge's score for VLM-R1's question (`metrics.vlm_r1.judge_messages`)."""
        reply = self.reply(messages)
        try:
            return judge_verdict(reply)
        except ValueError as e:
            raise JudgeError(f"the LLM judge at {self.url}: {e}") from None
