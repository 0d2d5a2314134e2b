"""French text, made comparable: words, without stop words, stemmed; TF-IDF vectors.

Offline on purpose: no external service sees what residents wrote. Used to suggest duplicates
and to group contributions into themes.
"""

import re
import unicodedata
from functools import lru_cache

import numpy as np
import snowballstemmer
from sklearn.feature_extraction.text import TfidfVectorizer

# The Snowball project's French stop word list, plus words every contribution of a
# consultation uses ("proposer", "faut") and that say nothing about its subject.
STOP_WORDS = frozenset(
    """
    au aux avec ce ces dans de des du elle en et eux il ils je la le les leur lui ma mais me
    même mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te
    tes toi ton tu un une vos votre vous c d j l à m n s t y été étée étées étés étant étante
    étants étantes suis es est sommes êtes sont serai seras sera serons serez seront serais
    serait serions seriez seraient étais était étions étiez étaient fus fut fûmes fûtes furent
    sois soit soyons soyez soient fusse fusses fût fussions fussiez fussent ayant ayante
    ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura aurons aurez auront
    aurais aurait aurions auriez auraient avais avait avions aviez avaient eut eûmes eûtes
    eurent aie aies ait ayons ayez aient eusse eusses eût eussions eussiez eussent ceci cela
    celà cet cette ici ils les leurs quel quels quelle quelles sans soi plus moins très tout
    tous toute toutes aussi bien comme donc alors ainsi si non oui car faut faudrait falloir
    peut peuvent pourrait pourraient doit doivent devrait devraient fait faire faites afin
    chaque autre autres entre depuis avant après encore déjà lors leurs dont où quand
    proposer propose proposons proposition idée idées etc
    dès sous près vers chez contre selon pendant durant hors parmi sinon puis ensuite enfin
    là celui celle ceux celles lequel laquelle quoi rien jamais toujours trop peu beaucoup
    assez surtout autant tant vraiment juste bout chose choses gens fois jour jours an ans
    année années mois heure heures dire dit dis mettre mis prendre pris voir vu savoir sais
    pouvoir vouloir veut voudrais voulons devoir aller va vont allé venir venu venus venue
    passé passée existe bouge aujourd hui hier demain maintenant quelque quelques plusieurs
    aucun aucune chacun certains certaines personne tant depuis lorsque parce puisque
    cependant pourtant notamment vraiment bon bonne grand grande petit petite nouveau
    nouvelle nouveaux nouvelles beaucoup
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœæ]{2,}")


@lru_cache(maxsize=1)
def _stemmer():
    return snowballstemmer.stemmer("french")


def _fold(text: str) -> str:
    # Keep French accents (they carry meaning) but unify their Unicode forms.
    return unicodedata.normalize("NFC", text.lower()).replace("’", "'")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    # A campaign's vocabulary is small and its words repeat: stem each once.
    return _stemmer().stemWord(word)


def french_terms(text: str) -> list[str]:
    """The stems of the meaningful words of a French text."""
    return [stem(w) for w in WORD.findall(_fold(text)) if w not in STOP_WORDS]


def tfidf(texts: list[str], *, min_df: int = 1, max_features: int | None = 50_000):
    """A TF-IDF matrix (rows: texts, L2-normalised) and the vectorizer that made it."""
    vectorizer = TfidfVectorizer(
        analyzer=french_terms,
        min_df=min_df,
        max_features=max_features,
        sublinear_tf=True,
        dtype=np.float32,
    )
    return vectorizer.fit_transform(texts), vectorizer
