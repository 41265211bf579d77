"""The deterministic knowledge-base answerer: a livekit-agents LLM that speaks the passage
of the agent's knowledge that best matches the caller's question.

Passages come from the agent's instructions/FAQ text and, through `KnowledgeSource`, from
its knowledge bases. Matching is lexical overlap weighted by rarity, so answers are
reproducible and need no model.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from livekit.agents import llm
from livekit.agents.llm import ChatContext, Tool

from kb.search import STOPWORDS

from .contracts import TRANSFER_TOOL
from .in_process_llm import InProcessLLM
from .supervision import SUPERVISOR_SAID_PREFIX, WHISPER_PREFIX

NO_ANSWER = "Sorry, I don't have information about that. Could you ask another way?"
GREETING_REPLY = "Hello! How can I help you?"
END_CALL_TOOL = "end_call"

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])")
_QA = re.compile(
    r"^\s*(?:Q|Question)\s*[:.)-]\s*(?P<q>.+?)\s+(?:A|Answer)\s*[:.)-]\s*(?P<a>.+)$", re.I | re.S
)
_META = re.compile(
    r"^\s*(?:you are|you're|your (?:role|job|name)|act as|always|never|be |keep |do not|don't"
    r"|respond|answer (?:only|briefly|in)|speak)",
    re.I,
)
# Search's stop words plus what callers say around a question ("hi", "thanks", "please").
_STOPWORDS = STOPWORDS | {
    "get", "got", "hello", "hey", "hi", "know", "like", "need", "ok", "okay", "please",
    "tell", "thank", "thanks", "uh", "um", "want", "wanted", "well", "yeah", "yes",
}  # fmt: skip
_GREETINGS = frozenset({"hi", "hello", "hey", "morning", "afternoon", "evening"})
_GOODBYES = re.compile(
    r"\b(?:good ?bye|bye|hang up|end (?:the )?call|that's all|that is all)\b", re.I
)
_TRANSFER = re.compile(
    r"\b(?:transfer|put me through|connect me|(?:speak|talk) (?:to|with) (?:a |an |the |some)"
    r"|(?:a|real) (?:human|person))",
    re.I,
)


def _stem(word: str) -> str:
    for suffix in ("'s", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words of `text` without stopwords."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


@dataclass(frozen=True)
class Passage:
    """A unit that can be spoken as an answer; `match_text` is what the question is compared to."""

    answer: str
    match_text: str


def split_passages(text: str) -> list[Passage]:
    """Split instructions/FAQ text into answerable passages.

    Q/A pairs answer with their answer; other lines are split into sentences. Sentences
    addressed to the assistant itself ("You are...", "Always...") are not answers.
    """
    passages: list[Passage] = []
    for block in re.split(r"\n\s*\n", text):
        block_qa = _QA.match(block)
        if block_qa:
            answer = " ".join(block_qa["a"].split())
            passages.append(Passage(answer=answer, match_text=f"{block_qa['q']} {answer}"))
            continue
        for line in block.splitlines():
            line = line.strip().lstrip("-*• ").strip()
            if not line:
                continue
            qa = _QA.match(line)
            if qa:
                answer = qa["a"].strip()
                passages.append(Passage(answer=answer, match_text=f"{qa['q']} {answer}"))
                continue
            for sentence in _SENTENCE_END.split(line):
                sentence = sentence.strip()
                if sentence and not _META.match(sentence) and content_terms(sentence):
                    passages.append(Passage(answer=sentence, match_text=sentence))
    return passages


def best_passage(question: str, passages: Sequence[Passage]) -> Passage | None:
    """The passage sharing the most rare terms with `question`, or None without overlap."""
    query = set(content_terms(question))
    if not query or not passages:
        return None
    docs = [Counter(content_terms(p.match_text)) for p in passages]
    doc_freq = Counter(term for doc in docs for term in set(doc))
    n_docs = len(docs)
    best: tuple[float, int] | None = None
    for index, doc in enumerate(docs):
        overlap = query & doc.keys()
        if not overlap:
            continue
        score = sum(math.log(1 + n_docs / doc_freq[term]) for term in overlap)
        score /= math.sqrt(max(len(doc), 1)) ** 0.5
        if best is None or score > best[0]:
            best = (score, index)
    return passages[best[1]] if best is not None else None


def is_greeting(text: str) -> bool:
    words = _WORD.findall(text.lower())
    return bool(words) and any(w in _GREETINGS for w in words) and not content_terms(text)


def wants_to_end(text: str) -> bool:
    return bool(_GOODBYES.search(text))


def transfer_target(text: str, targets: Sequence[str]) -> str | None:
    """The target a caller asks to be put through to (the first one when they name none),
    None when they ask for no transfer."""
    if not targets or not _TRANSFER.search(text):
        return None
    words = set(content_terms(text))
    named = [t for t in targets if set(content_terms(t.replace("_", " "))) <= words]
    return (named or list(targets))[0]


def _tool_choices(tool: Tool, parameter: str) -> list[str]:
    schema = getattr(getattr(tool, "info", None), "raw_schema", None) or {}
    choices = schema.get("parameters", {}).get("properties", {}).get(parameter, {}).get("enum")
    return [str(choice) for choice in choices or []]


class KnowledgeSource(Protocol):
    """Where extra passages come from (the control plane's knowledge search)."""

    async def search(self, query: str, *, top_k: int) -> list[str]: ...


class _KbAnswerStream(llm.LLMStream):
    _llm: KbAnswerer

    async def _run(self) -> None:
        request_id = uuid.uuid4().hex
        last = _last_message(self._chat_ctx)
        if last is None or last.type != "message" or last.role != "user":
            # after a tool ran (or with nothing asked) there is nothing more to say
            return
        question = last.text_content or ""
        tools = {getattr(t, "id", None): t for t in self._tools}
        call: llm.FunctionToolCall | None = None
        if END_CALL_TOOL in tools and wants_to_end(question):
            call = llm.FunctionToolCall(
                name=END_CALL_TOOL, arguments=json.dumps({}), call_id=f"call_{request_id[:12]}"
            )
        elif TRANSFER_TOOL in tools and (
            target := transfer_target(question, _tool_choices(tools[TRANSFER_TOOL], "target"))
        ):
            call = llm.FunctionToolCall(
                name=TRANSFER_TOOL,
                arguments=json.dumps({"target": target}),
                call_id=f"call_{request_id[:12]}",
            )
        if call is not None:
            self._event_ch.send_nowait(
                llm.ChatChunk(
                    id=request_id, delta=llm.ChoiceDelta(role="assistant", tool_calls=[call])
                )
            )
            return
        answer = await self._llm.answer(question, guidance=_guidance(self._chat_ctx))
        self._event_ch.send_nowait(
            llm.ChatChunk(id=request_id, delta=llm.ChoiceDelta(role="assistant", content=answer))
        )
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=request_id,
                usage=llm.CompletionUsage(
                    completion_tokens=len(answer.split()),
                    prompt_tokens=len(question.split()),
                    total_tokens=len(answer.split()) + len(question.split()),
                ),
            )
        )


class KbAnswerer(InProcessLLM):
    """Deterministic LLM replacement: answers from instructions/FAQ and knowledge passages."""

    stream_type = _KbAnswerStream
    model_name = "kb-answerer"

    def __init__(
        self,
        *,
        instructions: str,
        knowledge: KnowledgeSource | None = None,
        no_answer: str = NO_ANSWER,
        top_k: int = 5,
    ) -> None:
        super().__init__()
        self._passages = split_passages(instructions)
        self._knowledge = knowledge
        self._no_answer = no_answer
        self._top_k = top_k

    async def answer(self, question: str, *, guidance: Sequence[str] = ()) -> str:
        """`guidance`: what a supervisor whispered, answerable like the instructions (its
        sentences addressed to the assistant are followed, never spoken)."""
        passages = list(self._passages)
        for text in guidance:
            passages.extend(split_passages(text))
        if self._knowledge is not None:
            found = await self._knowledge.search(question, top_k=self._top_k)
            passages.extend(Passage(answer=text, match_text=text) for text in found)
        if is_greeting(question):
            return GREETING_REPLY
        match = best_passage(question, passages)
        return match.answer if match is not None else self._no_answer


def _guidance(chat_ctx: ChatContext) -> list[str]:
    """What a supervisor whispered, and what one told the caller during a takeover."""
    return [
        text.removeprefix(prefix)
        for item in chat_ctx.items
        if item.type == "message" and item.role == "system"
        for prefix in (WHISPER_PREFIX, SUPERVISOR_SAID_PREFIX)
        if (text := item.text_content or "").startswith(prefix)
    ]


def _last_message(chat_ctx: ChatContext) -> llm.ChatItem | None:
    for item in reversed(chat_ctx.items):
        if item.type in ("message", "function_call_output"):
            return item
    return None
