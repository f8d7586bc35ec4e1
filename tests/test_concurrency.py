"""Code that request threads share must give the same answers under concurrency.

The soak test (bench/soak.py) found a 500 here: one shared Snowball stemmer used by many
request threads at once raised IndexError (or could silently return wrong stems).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

from opendata_sozial.services.search_text import search_terms

WORDS = (
    "Armutsgefährdungsquoten Mindestsicherungsleistungen Grundsicherung Erwerbstätigenquote "
    "Überschuldung Vermögensreichtumsschwelle Bevölkerungsstand Lebensformen Kinderarmut "
    "Einkommensreichtumsschwellen Asylbewerberleistungsgesetz Staatsangehörigkeit"
)


def test_search_terms_is_thread_safe() -> None:
    texts = [" ".join(WORDS.split()[i:] + WORDS.split()[:i]) for i in range(12)]
    expected = [search_terms(text) for text in texts]
    start = threading.Barrier(8)

    def stem_all(_: int) -> list[list[str]]:
        start.wait()
        return [search_terms(text) for text in texts * 40]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(stem_all, range(8)))
    assert all(result == expected * 40 for result in results)
