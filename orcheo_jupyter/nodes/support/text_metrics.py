"""Text and ranking metrics, in plain Python (no NLTK, no model downloads).

Token F1 and exact match follow SQuAD's normalisation; ROUGE-N and ROUGE-L are
the usual n-gram and longest-common-subsequence scores; BLEU is corpus BLEU-4
with a brevity penalty on a 0-100 scale (sentence scores use add-one smoothing
for n > 1, as sacrebleu's ``add-k`` does); retrieval metrics are recall@k,
precision@k, MRR, nDCG@k and average precision with binary relevance.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)
_BLEU_TOKEN = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def normalise(text: str) -> str:
    text = text.lower().translate(_PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def tokens(text: str, normalize: bool = True) -> list[str]:
    return normalise(text).split() if normalize else text.split()


def token_f1(prediction: str, reference: str, normalize: bool = True) -> float:
    pred, ref = tokens(prediction, normalize), tokens(reference, normalize)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str) -> float:
    return float(normalise(prediction) == normalise(reference))


def _ngrams(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def _prf(overlap: int, pred_total: int, ref_total: int) -> dict[str, float]:
    precision = overlap / pred_total if pred_total else 0.0
    recall = overlap / ref_total if ref_total else 0.0
    f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "fmeasure": f}


def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge(prediction: str, reference: str, variant: str) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 (n-gram overlap) or ROUGE-L/Lsum (longest common subsequence)."""
    pred = normalise(prediction).split()
    ref = normalise(reference).split()
    if variant in ("rougeL", "rougeLsum"):
        return _prf(_lcs(pred, ref), len(pred), len(ref))
    n = int(variant.removeprefix("rouge"))
    p, r = _ngrams(pred, n), _ngrams(ref, n)
    return _prf(sum((p & r).values()), sum(p.values()), sum(r.values()))


def _bleu_stats(
    prediction: str, references: Sequence[str]
) -> tuple[list[int], list[int], int, int]:
    pred = _BLEU_TOKEN.findall(prediction.lower())
    refs = [_BLEU_TOKEN.findall(r.lower()) for r in references]
    matches, totals = [], []
    for n in range(1, 5):
        p = _ngrams(pred, n)
        best: Counter[tuple[str, ...]] = Counter()
        for ref in refs:
            best |= _ngrams(ref, n)
        matches.append(sum((p & best).values()))
        totals.append(max(len(pred) - n + 1, 0))
    closest = min((abs(len(r) - len(pred)), len(r)) for r in refs)[1] if refs else 0
    return matches, totals, len(pred), closest


def _bleu(
    matches: list[int], totals: list[int], pred_len: int, ref_len: int, smooth: bool
) -> float:
    if not pred_len:
        return 0.0
    logs = []
    for n, (m, t) in enumerate(zip(matches, totals, strict=True)):
        if smooth and n > 0:
            m, t = m + 1, t + 1
        if not m or not t:
            return 0.0
        logs.append(math.log(m / t))
    bp = 1.0 if pred_len > ref_len else math.exp(1 - ref_len / pred_len)
    return 100 * bp * math.exp(sum(logs) / 4)


def bleu(
    predictions: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[float, list[float]]:
    """(corpus BLEU, sentence BLEU per item), both 0-100."""
    total_m, total_t = [0] * 4, [0] * 4
    pred_len = ref_len = 0
    per_item = []
    for pred, refs in zip(predictions, references, strict=True):
        m, t, p, r = _bleu_stats(pred, refs)
        per_item.append(_bleu(m, t, p, r, smooth=True))
        total_m = [a + b for a, b in zip(total_m, m, strict=True)]
        total_t = [a + b for a, b in zip(total_t, t, strict=True)]
        pred_len, ref_len = pred_len + p, ref_len + r
    return _bleu(total_m, total_t, pred_len, ref_len, smooth=False), per_item


def retrieval_scores(ranked: Sequence[str], relevant: set[str], k: int) -> dict[str, float]:
    top = list(dict.fromkeys(ranked))[:k]
    hits = [1 if doc in relevant else 0 for doc in top]
    if not relevant:
        return {"recall_at_k": 0.0, "precision_at_k": 0.0, "mrr": 0.0, "ndcg": 0.0, "map": 0.0}
    first = next((i for i, h in enumerate(hits, start=1) if h), None)
    dcg = sum(h / math.log2(i + 1) for i, h in enumerate(hits, start=1))
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    precisions = [sum(hits[:i]) / i for i, h in enumerate(hits, start=1) if h]
    return {
        "recall_at_k": sum(hits) / len(relevant),
        "precision_at_k": sum(hits) / k,
        "mrr": 1 / first if first else 0.0,
        "ndcg": dcg / ideal if ideal else 0.0,
        "map": sum(precisions) / min(len(relevant), k),
    }
