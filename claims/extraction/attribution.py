"""Speaker attribution: who makes the statement in each sentence of a news article.

`attribute(sentences)` takes an article's sentences in order and returns, for each,
the `Speaker` (a person or an organisation) or None when the sentence is the
outlet's own voice. It is rule-based: one tokenizer, a few small lexicons and a
memory of the people and organisations named so far, so that "the NATO chief said"
or "he added" can point back to "Secretary-General Jens Stoltenberg".

Verbs that report a statement count, in English, Spanish and French ("said",
"dijo", "a déclaré", "according to", "según", "selon"), and in Arabic ("قال",
"أكد", "صرح", "وفقا ل"). A named person's reported pleas, requests, demands and
accusations count too ("Zelensky has been pleading…", "X urged…", "X called on…"):
their Speaker has ``act == "request"``, so extraction can keep them as candidates.
Refraining, promising or declining ("Stoltenberg refrained from giving details")
is no statement, and a plea by a country or a body ("Kiev has been begging") stays
the outlet's narration.

A role noun ("the police chief", "the minister") points back only to a person seen
holding that role ("Police chief Maria Lopez", "Lopez, the police chief,"); with
nobody holding it, the role itself is the speaker ("police chief"), never merely
the last person named.

Unnamed sources still get a Speaker, named by the words the article uses ("US
officials", "a senior diplomat"), because their statements are not the outlet's own.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

__all__ = ["Speaker", "attribute"]


@dataclass(frozen=True)
class Speaker:
    name: str
    kind: str  # "person" or "organization"
    description: str = ""  # role or title found in the text, "" if none
    # "statement" (said, told, according to), "accusation" (accused, blamed) or
    # "request" (pleaded, urged, called on, demanded): how the sentence reports
    # them. Not part of who they are.
    act: str = field(default="statement", compare=False)


PERSON = "person"
ORGANIZATION = "organization"

# --- lexicons -----------------------------------------------------------------------

# Finite forms that report a statement when a subject stands right before them.
SPEECH_VERBS = frozenset(
    """
    say says said tell tells told add adds added warn warns warned claim claims claimed
    insist insists insisted stress stresses stressed write writes wrote tweet tweets tweeted
    argue argues argued stated noted explain explains explained announce announces announced
    assert asserts asserted allege alleges alleged acknowledge acknowledges acknowledged
    admit admits admitted confirm confirms confirmed deny denies denied emphasise emphasises
    emphasised emphasize emphasizes emphasized reiterate reiterates reiterated declare declares
    declared reply replies replied respond responds responded predict predicts predicted
    reported contend contends contended maintain maintains maintained accuse accuses accused
    blame blames blamed concede concedes conceded
    """.split()
)
# Spanish and French: a finite verb ("dijo", "afirma") or a past participle after
# "a"/"ont"/"avait" ("a déclaré"). Inversion after a comma is ordinary in both
# languages ("La inflación bajará, dijo Sánchez."), so these allow it without a quotation.
ROMANCE_SPEECH_VERBS = frozenset(
    """
    dijo dice dicen dijeron afirmó afirma afirman afirmaron aseguró asegura aseguran aseguraron
    declaró declara declararon señaló señala señalaron explicó explica explicaron añadió añade
    agregó agrega advirtió advierte sostuvo sostiene indicó indica anunció anuncia denunció denuncia
    reconoció reconoce negó niega insistió insiste subrayó subraya destacó destaca manifestó
    expresó comentó respondió acusó acusa aclaró precisó admitió
    déclaré affirmé dit indiqué expliqué ajouté souligné assuré estimé annoncé averti précisé
    reconnu nié insisté confirmé répondu accusé dénoncé martelé prévenu rappelé
    déclare affirme estime assure indique explique ajoute souligne annonce précise dénonce accuse
    déclarent affirment estiment assurent
    """.split()
)
ROMANCE_AUX = frozenset("a ont avait avaient aurait auraient".split())
ROMANCE_ARTICLES = frozenset("el la los las le les".split())
ROMANCE_OF = frozenset("de del du des".split())
_ORG_FUNCTION_WORDS = frozenset("of the for and de del la las los du des le les et y".split())
SPEECH_VERBS = SPEECH_VERBS | ROMANCE_SPEECH_VERBS
# Reported pleas, requests, demands and accusations: a statement by their subject
# when it is a person. "-ing" forms count after "has been", "is", "was" only.
REQUEST_VERBS = frozenset(
    """
    plead pleads pleaded pleading pled beg begs begged begging urge urges urged urging
    implore implores implored imploring demand demands demanded demanding request requests
    requested requesting appeal appeals appealed appealing ask asks asked asking accusing
    """.split()
)
ACCUSE_VERBS = frozenset("accuse accuses accused blame blames blamed".split())
# "call on", "call for", "call upon"
CALL_VERBS = frozenset("call calls called calling".split())
CALL_PARTICLES = frozenset("on for upon".split())
PROGRESSIVE_AUX = frozenset("been is are was were am".split())
# "Según X", "selon X", "d'après X", like "according to X".
ACCORDING_WORDS = frozenset({"según", "selon", "d'après", "d’après"})

# These also have plain non-speech uses ("the US added five firms to the list", "she
# wrote a book"), so they count only next to a quotation or before a that-clause.
QUOTE_BOUND_VERBS = frozenset("add adds added write writes wrote maintain maintains maintained".split())
AS_SAYING = frozenset("saying telling stating warning claiming writing arguing having adding".split())
CITING_VERBS = frozenset("cited cites quoted quotes citing quoting".split())

# Words that may stand between a subject and its speech verb.
SKIP_BEFORE_VERB = frozenset(
    """
    also later earlier again previously repeatedly reportedly then once now still recently
    subsequently publicly separately further already has have had just first
    """.split()
)
# A speech verb after one of these is passive, future, negated or an infinitive:
# "was said to be", "will say", "did not say", "declined to say".
BLOCKERS = frozenset(
    """
    is was were are be been being am to will would could can may might must shall should
    not never n't did does do cannot
    """.split()
)

ARTICLES = frozenset({"the", "a", "an"})
QUANTIFIERS = frozenset("many some several other most few two three four five numerous various".split())
PRONOUNS = frozenset({"he", "she", "it", "they", "we", "i", "you"})
PARTICLES = frozenset("von van der den de del della di da du la le bin ibn al el ter dos das y zu".split())
PREPOSITIONS = frozenset("in at from near for with inside across by within outside on".split())
HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "mx"})

# Capitalised words that are never part of a name: sentence openers, function words, days.
CAP_STOP = frozenset(
    """
    however but and or so yet meanwhile also in on at for from with by after before during
    when while as if although though since because today yesterday tomorrow monday tuesday
    wednesday thursday friday saturday sunday earlier later now then still this that these
    those there here asked speaking instead indeed moreover furthermore separately previously
    last next according what which who whom whose where why how not no nor despite amid under
    over against without within about to into than such all both each every our their his her
    its my your read more thus hence nevertheless nonetheless besides
    """.split()
)
WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday week month year".split())

# Role nouns and titles, lower case; they go into Speaker.description, never the name.
TITLES = frozenset(
    """
    president vice-president ex-president prime premier minister secretary-general secretary
    spokesman spokeswoman spokesperson senator sen. sen representative rep. rep congressman
    congresswoman governor gov. gov mayor chancellor chief head leader director chairman
    chairwoman chair ceo ambassador envoy commissioner king queen prince princess pope judge
    justice prosecutor attorney dr. dr prof. prof professor general gen. gen lieutenant lt.
    colonel col. captain capt. admiral adm. commander speaker diplomat lawmaker mp official
    analyst economist researcher expert adviser advisor aide negotiator deputy vice sheikh
    ayatollah cardinal archbishop bishop rabbi imam founder owner coach correspondent editor
    sergeant sgt. major maj. officer mr mr. mrs mrs. ms ms. supremo boss
    ministro ministra presidente presidenta portavoz líder lider dirigente alcalde alcaldesa jefe jefa directora
    secretario secretaria gobernador gobernadora senador senadora diputado diputada embajador
    embajadora juez jueza canciller vicepresidente vicepresidenta comisario comisaria
    ministre président présidente porte-parole dirigeant dirigeante maire cheffe directeur directrice secrétaire
    gouverneur sénateur sénatrice député députée ambassadeur ambassadrice procureur procureure
    juge commissaire premier première
    """.split()
)
# Role noun in "the X said" -> words to look for in an earlier person's description.
_ROLE_MATCHES = {
    "chief": "chief|secretary-general|secretary general|head|leader|director|chair|commander|ceo|boss",
    "head": "head|chief|secretary-general|secretary general|leader|director|chair|ceo",
    "boss": "boss|chief|head|director|ceo|secretary-general|chair",
    "supremo": "supremo|chief|head|secretary-general|leader",
    "leader": "leader|president|prime minister|premier|chancellor|secretary-general|chief|head|king|ayatollah",
    "premier": "premier|prime minister",
    "spokesman": "spokesman|spokeswoman|spokesperson|press secretary",
    "spokeswoman": "spokeswoman|spokesman|spokesperson|press secretary",
    "spokesperson": "spokesperson|spokesman|spokeswoman|press secretary",
    "diplomat": "diplomat|foreign minister|ambassador|envoy|secretary of state",
    "envoy": "envoy|ambassador",
    "ambassador": "ambassador|envoy",
    "general": "general|gen.",
    "commander": "commander|general|admiral|colonel|chief",
    "senator": "senator|sen.",
    "lawmaker": "lawmaker|senator|sen.|representative|rep.|congress|mp",
    "secretary-general": "secretary-general|secretary general",
    "ministro": "ministro|ministra",
    "ministra": "ministra|ministro",
    "ministre": "ministre",
    "portavoz": "portavoz",
    "porte-parole": "porte-parole",
    "presidente": "presidente|presidenta",
    "presidenta": "presidenta|presidente",
    "président": "président|présidente",
    "jefe": "jefe|jefa|director|directora",
}
# Words before a role noun that do not narrow it: "the top diplomat" is any diplomat.
# Every other lower-case word does ("the police chief" is not the NATO chief).
NON_DEFINING = frozenset("top senior then current new acting interim outgoing incoming longtime veteran".split())
ROLE_MATCHES = {role: tuple(words.split("|")) for role, words in _ROLE_MATCHES.items()}
# Organisation words; capitalised in names ("Defense Ministry") or lower case as heads.
ORG_WORDS = frozenset(
    """
    ministry agency government department party council company commission committee office
    parliament congress senate court bank university institute foundation association union
    organization organisation corporation inc corp ltd group network times post news journal
    assembly alliance forces army navy police administration cabinet authority authorities
    service board bureau federation league movement front church embassy guard command fund
    club duma knesset bundestag secretariat mission tribunal centre center coalition academy
    society trust herald tribune gazette tv radio channel airlines airways motors holdings
    brigade battalion regiment directorate inspectorate watch international initiative
    military firm campaign consulate regime presidency media force
    ministerio gobierno policía agencia banco ejército partido tribunal ayuntamiento
    ministère gouvernement agence banque armée parti mairie
    """.split()
)
ORG_NAMES = frozenset(
    """
    kremlin pentagon whitehall élysée elysee interfax reuters tass ria xinhua bloomberg afp ap
    hamas hezbollah taliban gazprom rosatom wagner amnesty greenpeace unicef unesco opec
    """.split()
)
ORG_PHRASES = frozenset({"white house", "downing street", "state department", "blue house", "quai d'orsay"})
# Department names that follow "Secretary of" and are not part of a person's name.
TITLE_COMPLEMENTS = frozenset(
    "state defense defence justice treasury health interior finance commerce energy education labor labour agriculture transportation homeland security foreign affairs war".split()
)
GROUP_NOUNS = frozenset(
    """
    officials analysts experts sources source diplomats lawmakers legislators critics observers
    witnesses residents activists researchers scientists investigators prosecutors doctors
    economists campaigners protesters organisers organizers members leaders ministers
    spokesmen commanders officers soldiers insiders aides advisers advisors people citizens
    voters supporters opponents scholars historians journalists reporters politicians
    """.split()
)
DOC_NOUNS = frozenset(
    """
    report reports statement statements study survey data figures analysis document documents
    letter filing ruling release communique communiqué memo readout post video article estimates
    """.split()
)
LOWER_MODIFIERS = frozenset(
    """
    foreign defense defence interior news state press senior top former deputy military
    acting outgoing incoming interim national federal regional local presidential
    government royal supreme prime vice chief junior high-ranking ranking justice
    health finance economy intelligence security border public official policy air naval armed
    coast civil emergency space nuclear energy tax central electoral statistics customs aviation
    """.split()
)
NATIONALITIES = frozenset(
    """
    american british russian ukrainian chinese french german italian spanish polish iranian
    israeli palestinian turkish syrian iraqi indian pakistani japanese korean saudi egyptian
    canadian australian dutch belgian swedish finnish norwegian danish hungarian romanian
    bulgarian greek serbian georgian belarusian lebanese yemeni qatari emirati afghan european
    western eastern northern southern baltic nordic arab african asian
    """.split()
)
COUNTRIES = frozenset(
    """
    russia ukraine china france germany britain uk u.k. us u.s. usa u.s.a. america iran israel
    turkey türkiye syria iraq india pakistan japan egypt canada australia poland hungary belarus
    qatar lebanon yemen afghanistan italy spain netherlands belgium sweden finland norway
    denmark romania bulgaria greece serbia venezuela cuba brazil mexico moscow kiev kyiv
    washington beijing tehran london paris berlin brussels ankara jerusalem damascus baghdad
    warsaw budapest minsk tokyo seoul pyongyang riyadh cairo ottawa canberra rome madrid beirut
    doha kabul islamabad caracas havana
    """.split()
) | {"united states", "united kingdom", "north korea", "south korea", "saudi arabia", "tel aviv", "new delhi"}
# Words before a colon that label a section rather than name a speaker ("Watch: ...").
COLON_LABELS = frozenset(
    "breaking news update live watch analysis opinion exclusive explainer factbox editorial video photos read".split()
)

# --- tokens -----------------------------------------------------------------------

Q = "\x00Q"  # one quoted span, whatever its length
_QUOTE_CHARS = re.compile(r"([“”\"«»])")
_OPENERS = frozenset("“«")
_CLOSERS = frozenset("”»")
_TOKEN = re.compile(
    r"""
    (?:[^\W\d_]\.){2,}                                   # initials and initialisms: J.D., U.S.
    | (?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Lt|Col|Capt|Adm|Prof|Sgt|Maj|St|Jr|Sr)\.(?=\s)
    | [A-ZÀ-Þ]\.(?=\s+\w)                                 # middle initial: John F. Kennedy
    | \w+(?:[’'\-]\w+)*                                   # words, hyphenated, with apostrophes
    | [^\s\w]
    """,
    re.VERBOSE,
)
_HAS_WORD = re.compile(r"\w")
_DOT_SPACE = re.compile(r"\.\s")

# token categories
_PUNCT, _QUOTE, _ARTICLE, _QUANT, _PRON, _PARTICLE, _OF, _PREP, _STOP = range(9)
_CAP, _TITLE, _ORG, _GROUP, _DOC, _MOD, _OTHER = range(9, 16)
_RUN = frozenset({_CAP, _TITLE, _ORG, _GROUP, _DOC, _MOD, _PARTICLE})
_NAMING = _RUN - {_PARTICLE}  # where a mention can start


def _per_token(function):
    # These depend on the word alone, and articles repeat words: worked out once
    # per word (bounded, for a long-running worker), they halve attribution's time.
    return functools.lru_cache(maxsize=1 << 16)(function)


@_per_token
def _category(tok: str) -> int:
    if tok == Q:
        return _QUOTE
    if not tok or not tok[0].isalnum():  # "" is the head of "Of course": no word
        return _PUNCT
    low = tok.lower()
    if low in ARTICLES:
        return _ARTICLE
    if low in PRONOUNS:
        return _PRON
    if low in QUANTIFIERS:
        return _QUANT
    if tok[0].isupper():
        return _STOP if low in CAP_STOP else _CAP
    if low in PARTICLES:
        return _PARTICLE
    if low == "of":
        return _OF
    if low in PREPOSITIONS:
        return _PREP
    if low in TITLES or _strip_prefix(low) in TITLES:
        return _TITLE
    if low in GROUP_NOUNS:
        return _GROUP
    if low in ORG_WORDS:
        return _ORG
    if low in DOC_NOUNS:
        return _DOC
    if low in LOWER_MODIFIERS or low.endswith(
        ("-led", "-backed", "-based", "-owned", "-run", "-appointed", "-controlled")
    ):
        return _MOD
    if "-" in low and low.split("-", 1)[0] in PARTICLES and tok.rsplit("-", 1)[-1][:1].isupper():
        return _CAP  # al-Assad, bin-Salman
    return _OTHER


def _strip_prefix(low: str) -> str:
    for prefix in ("ex-", "vice-", "deputy-", "former-"):
        if low.startswith(prefix):
            return low[len(prefix) :]
    return low


@_per_token
def _possessive(tok: str) -> bool:
    return tok.endswith(("’s", "'s")) and len(tok) > 2


def _bare(tok: str) -> str:
    """Lower-case word without a possessive ending."""
    return (tok[:-2] if _possessive(tok) else tok).lower()


def _is_acronym(tok: str) -> bool:
    letters = tok.replace(".", "")
    return letters.isalpha() and letters.isupper() and len(letters) >= 2


@_per_token
def _is_initials(tok: str) -> bool:
    return bool(re.fullmatch(r"(?:[^\W\d_]\.)+", tok)) and tok[0].isupper()


@_per_token
def _is_title(tok: str) -> bool:
    low = _bare(tok)
    return low in TITLES or _strip_prefix(low) in TITLES


@_per_token
def _is_modifier(tok: str) -> bool:
    """A capitalised word that qualifies a name or role without being one."""
    low = _bare(tok)
    return (
        _possessive(tok)
        or low in NATIONALITIES
        or low in COUNTRIES
        or low in ORG_WORDS
        or low in ORG_NAMES
        or low in TITLE_COMPLEMENTS
        or _is_title(tok)
        or (_is_acronym(tok) and not _is_initials(tok))
        or not tok[0].isupper()
    )


@_per_token
def _name_token(tok: str) -> bool:
    """A word that can be part of a person's name: "Jens", "von", "J.D.", "al-Assad"."""
    if _is_initials(tok) and len(tok) <= 6:
        return True
    low = tok.lower()
    if not tok[0].isupper():
        return low in PARTICLES or _category(tok) == _CAP
    if _possessive(tok) or ("-" in tok and not tok.rsplit("-", 1)[-1][:1].isupper()):
        return False  # "Stoltenberg’s", "US-led"
    return not (
        _is_title(tok)
        or low in ORG_WORDS
        or low in ORG_NAMES
        or low in TITLE_COMPLEMENTS
        or low in NATIONALITIES
        or low in GROUP_NOUNS
        or low in DOC_NOUNS
        or _is_acronym(tok)
    )


@_per_token
def _last_word(name: str) -> str:
    return name.split()[-1]


def _capitalised(tok: str) -> bool:
    return tok[0].isupper() or _category(tok) == _CAP


def _text(tokens: Sequence[str]) -> str:
    return " ".join(tokens)


@dataclass(slots=True)
class _Frame:
    """A sentence with every quoted span folded into one Q token."""

    tokens: list[str]
    lower: list[str]
    cats: list[int]
    has_quote: bool
    started_open: bool
    open_at_end: bool

    @property
    def quote_only(self) -> bool:
        return self.has_quote and not any(c not in (_QUOTE, _PUNCT) for c in self.cats)


def _frame(sentence: str, open_at_start: bool) -> _Frame:
    in_quote = open_at_start
    tokens: list[str] = []
    lower: list[str] = []
    cats: list[int] = []
    has_quote = False
    # Of the quotation marks only '"' is ASCII, and most sentences have none.
    pieces = _QUOTE_CHARS.split(sentence) if '"' in sentence or not sentence.isascii() else [sentence]
    for piece in pieces:
        if not piece:
            continue
        if piece in _OPENERS:
            in_quote = True
        elif piece in _CLOSERS:
            in_quote = False
        elif piece == '"':
            in_quote = not in_quote
        elif in_quote:
            if _HAS_WORD.search(piece):
                has_quote = True
                if not tokens or tokens[-1] != Q:
                    tokens.append(Q)
                    lower.append(Q.lower())
                    cats.append(_QUOTE)
        else:
            stretches = piece.split()
            if _DOT_SPACE.search(piece):
                # a stretch ending in a dot takes along what _TOKEN's look-aheads read after it
                last = len(stretches) - 1
                for k, stretch in enumerate(stretches):
                    if stretch[-1] == ".":
                        if k < last:
                            stretches[k] = stretch + " " + stretches[k + 1][0]
                        elif piece[-1].isspace():
                            stretches[k] = stretch + " "
            for stretch_tokens, stretch_lower, stretch_cats in map(_stretch, stretches):
                tokens += stretch_tokens
                lower += stretch_lower
                cats += stretch_cats
    return _Frame(tokens, lower, cats, has_quote, open_at_start, in_quote)


@_per_token
def _stretch(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """Tokens, their lower-case forms and categories in a stretch of text between
    white space (no token spans white space, so a sentence's tokens are its
    stretches', and articles repeat stretches). After a dot that white space
    follows, `text` goes on as far as the tokenizer's look-aheads read: a space and
    the next stretch's first character, or a space alone."""
    tokens = _TOKEN.findall(text)
    if text[-2:-1] == " ":
        tokens.pop()  # the next stretch's first character, one token of its own
    return tuple(tokens), tuple(map(str.lower, tokens)), tuple(map(_category, tokens))


# --- noun phrases -------------------------------------------------------------------


# One is built for nearly every word that can start a name: slots, and positional
# arguments where they are built most, make that cheaper.
@dataclass(slots=True)
class _Phrase:
    tokens: list[str]  # without article or quantifier
    start: int  # first token index, article included
    end: int  # index after the last token
    article: str = ""
    pronoun: str = ""
    appositive: str = ""
    pp: Sequence[str] = ()  # "in Kyiv", "for the ministry"
    pp_phrase: _Phrase | None = None

    @property
    def head_tokens(self) -> list[str]:
        for k, tok in enumerate(self.tokens):
            low = tok.lower()
            if low == "of":
                return self.tokens[:k]
            # "el portavoz del Gobierno", "le ministre de l'Économie"; not "Charles de Gaulle"
            if low in ROMANCE_OF and any(_is_title(t) or _bare(t) in ORG_WORDS for t in self.tokens[:k]):
                return self.tokens[:k]
        return self.tokens

    @property
    def head(self) -> str:
        heads = self.head_tokens
        return heads[-1] if heads else ""


def _phrase_back(fr: _Frame, end: int, depth: int = 0) -> _Phrase | None:
    """The noun phrase that ends at token `end` (inclusive), read right to left."""
    if end < 0:
        return None
    tokens, cats = fr.tokens, fr.cats
    if cats[end] == _PRON:
        return _Phrase(tokens=[tokens[end]], start=end, end=end + 1, pronoun=fr.lower[end])
    if cats[end] not in _RUN or _possessive(tokens[end]):
        return None
    i = end
    while i >= 0 and cats[i] in _RUN:
        if i != end and _possessive(tokens[i]):
            i -= 1
            break  # a possessive opens the phrase: "Russia’s Defense Ministry"
        i -= 1
    start = i + 1
    while start <= end and cats[start] == _PARTICLE:
        start += 1
    if start > end:
        return None
    run = tokens[start : end + 1]
    before = start - 1
    article = ""
    if before >= 0 and cats[before] == _ARTICLE and before >= 1 and cats[before - 1] == _OF:
        run = [tokens[before], *run]
        before -= 1
    if before >= 1 and cats[before] == _OF and cats[before - 1] in _RUN and depth < 2:
        outer = _phrase_back(fr, before - 1, depth + 1)
        if outer is not None and not outer.tokens:
            # "… in Ministry of Defence said": still a place after a preposition.
            return _Phrase(tokens=[], start=outer.start, end=end + 1)
        if outer is not None and not outer.pronoun and not outer.pp:
            return _Phrase(tokens=[*outer.tokens, "of", *run], start=outer.start, end=end + 1, article=outer.article)
    if run[0].lower() in ARTICLES:
        run = run[1:]
    if before >= 0 and cats[before] in (_ARTICLE, _QUANT):
        article = fr.lower[before]
        before -= 1
    phrase = _Phrase(run, before + 1, end + 1, article)
    if before >= 1 and cats[before] == _PREP and depth < 2:
        head = _phrase_back(fr, before - 1, depth + 1)
        if head is None or head.pronoun:
            # "… in Kyiv said": a place after a preposition is never the speaker.
            return _Phrase(tokens=[], start=phrase.start, end=end + 1)
        pp_words = [tokens[before], *([article] if article else []), *run]
        return _Phrase(
            tokens=head.tokens,
            start=head.start,
            end=end + 1,
            article=head.article,
            pp=pp_words,
            pp_phrase=phrase,
        )
    return phrase


def _phrase_fwd(fr: _Frame, start: int, depth: int = 0) -> _Phrase | None:
    """The noun phrase that starts at token `start`, read left to right."""
    n = len(fr.tokens)
    if start >= n:
        return None
    tokens, cats = fr.tokens, fr.cats
    if cats[start] == _PRON:
        return _Phrase(tokens=[tokens[start]], start=start, end=start + 1, pronoun=fr.lower[start])
    i = start
    article = ""
    if cats[i] in (_ARTICLE, _QUANT) or (
        fr.lower[i] in ROMANCE_ARTICLES
        and tokens[i].islower()
        and i + 1 < n
        and cats[i + 1] in (_TITLE, _ORG, _CAP, _MOD)
    ):
        article = fr.lower[i]
        i += 1
    first = i
    while i < n and cats[i] in _RUN:
        i += 1
    while i > first and cats[i - 1] == _PARTICLE:
        i -= 1
    if i == first:
        return None
    run = tokens[first:i]
    # "the Ministry of Defence", "the head of the agency"
    if i + 1 < n and cats[i] == _OF and depth < 2:
        j = i + 1
        inner_article = []
        if cats[j] == _ARTICLE:
            inner_article = [tokens[j]]
            j += 1
        inner = _phrase_fwd(fr, j, depth + 1)
        if inner is not None and not inner.pronoun:
            run = [*run, "of", *inner_article, *inner.tokens]
            i = inner.end
    phrase = _Phrase(run, start, i, article)
    if i + 1 < n and cats[i] == _PREP and depth < 2 and _takes_pp(phrase.head):
        inner = _phrase_fwd(fr, i + 1, depth + 1)
        if inner is not None and not inner.pronoun:
            phrase.pp = [tokens[i], *([inner.article] if inner.article else []), *inner.tokens]
            phrase.pp_phrase = inner
            phrase.end = i = inner.end
    if i < n and tokens[i] == ",":
        j = i + 1
        while j < n and tokens[j] not in (",", ".", ";", ":", Q) and j - i <= 10:
            j += 1
        description = _appositive(fr, i + 1, j)
        name = _name_segment(fr, i + 1, j)
        if description or (name and _is_role(phrase)):
            phrase = _with_appositive(phrase, fr, i + 1, j)
            phrase.end = j + 1 if j < n and tokens[j] == "," else j
    return phrase


def _takes_pp(head: str) -> bool:
    """ "officials in Kyiv", "a report by Amnesty": heads that keep a prepositional phrase."""
    return _category(head) in (_TITLE, _GROUP, _DOC) or _is_title(head)


def _is_role(phrase: _Phrase) -> bool:
    """ "the NATO chief", "Russia’s foreign minister": a role with no name in it."""
    return bool(phrase.tokens) and _is_title(phrase.head) and not _split_title(phrase.head_tokens)[1]


def _name_segment(fr: _Frame, start: int, end: int) -> list[str]:
    seg = fr.tokens[start:end]
    if seg and len(seg) <= 5 and _capitalised(seg[0]) and _capitalised(seg[-1]) and all(_name_token(t) for t in seg):
        return seg
    return []


def _with_appositive(phrase: _Phrase, fr: _Frame, start: int, end: int) -> _Phrase:
    """The phrase with the comma-delimited words after it: either its role
    ("Stoltenberg, the NATO chief,") or, after a role, its name ("the NATO chief, Jens
    Stoltenberg,")."""
    name = _name_segment(fr, start, end)
    if name and _is_role(phrase):
        return _Phrase(tokens=name, start=phrase.start, end=end, appositive=_text(phrase.tokens))
    phrase.appositive = _appositive(fr, start, end)
    return phrase


def _appositive(fr: _Frame, start: int, end: int) -> str:
    """The role in ", the NATO secretary-general," or "" if the words are not one."""
    seg = fr.tokens[start:end]
    cats = fr.cats[start:end]
    if not seg or len(seg) > 10:
        return ""
    allowed = _RUN | {_ARTICLE, _QUANT, _OF, _PREP}
    if any(c not in allowed for c in cats) or cats[-1] in (_ARTICLE, _OF, _PREP):
        return ""
    if not any(c in (_TITLE, _ORG) or _is_title(t) for c, t in zip(cats, seg, strict=True)):
        return ""
    if cats[0] in (_ARTICLE, _QUANT):
        seg = seg[1:]
    return _text(seg)


# --- memory of people and organisations -------------------------------------------


# eq=False: one entity per name and kind, so identity is equality, and cheaper.
@dataclass(eq=False)
class _Entity:
    name: str
    kind: str
    descriptions: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return self.descriptions[0] if self.descriptions else ""

    def speaker(self, description: str | None = None) -> Speaker:
        return Speaker(self.name, self.kind, self.description if description is None else description)


class _Memory:
    """Everyone named so far in the article, the most recently mentioned last."""

    def __init__(self) -> None:
        self.entities: list[_Entity] = []

    def touch(self, entity: _Entity) -> None:
        if entity in self.entities:
            self.entities.remove(entity)
        self.entities.append(entity)

    def get(self, name: str, kind: str) -> _Entity | None:
        for entity in reversed(self.entities):
            if entity.name == name and entity.kind == kind:
                return entity
        return None

    def remember(self, name: str, kind: str, description: str = "") -> _Entity:
        entity = self.get(name, kind) or _Entity(name, kind)
        if description and description not in entity.descriptions:
            entity.descriptions.append(description)
        self.touch(entity)
        return entity

    def by_surname(self, word: str) -> _Entity | None:
        for entity in reversed(self.entities):
            if entity.kind == PERSON and (entity.name == word or _last_word(entity.name) == word):
                return entity
        return None

    def most_recent(self, kind: str, exclude: frozenset[str] = frozenset()) -> _Entity | None:
        for entity in reversed(self.entities):
            if entity.kind == kind and not (set(entity.name.lower().split()) & exclude):
                return entity
        return None

    def by_role(
        self, role: str, required: frozenset[str], qualifiers: frozenset[str], exclude: frozenset[str]
    ) -> _Entity | None:
        """The person a role noun refers to: the latest seen holding that role, that is
        whose title matches the role noun and has every word that narrows it ("police"
        in "the police chief"); among those, one whose title also has a qualifier
        ("NATO" in "the NATO chief") first. None when nobody holds it: "the police
        chief" is not whoever was named last, nor "Putin’s spokesman" Putin."""
        wanted = ROLE_MATCHES.get(role, (role,))
        best, best_score = None, 0
        for entity in reversed(self.entities):
            if entity.kind != PERSON or set(entity.name.lower().split()) & exclude:
                continue
            described = f" {' '.join(entity.descriptions).lower()} "
            if not any(f" {w} " in described for w in wanted):
                continue
            if not all(f" {w} " in described for w in required):
                continue
            score = 2 + any(f" {q} " in described for q in qualifiers)
            if score > best_score:
                best, best_score = entity, score
        return best

    def org_by_word(self, word: str) -> _Entity | None:
        for entity in reversed(self.entities):
            if entity.kind == ORGANIZATION and word in entity.name.lower():
                return entity
        return None


# --- classifying a phrase ---------------------------------------------------------


def _split_title(tokens: list[str]) -> tuple[list[str], list[str]]:
    """("Ukrainian President", "Volodymyr Zelensky") from the whole phrase."""
    j = len(tokens)
    while j > 0 and _name_token(tokens[j - 1]):
        j -= 1
    while j < len(tokens) and not _capitalised(tokens[j]):
        j += 1  # a name starts with a capital, not with "von"
    return tokens[:j], tokens[j:]


def _org_like(tokens: list[str]) -> bool:
    low = [_bare(t) for t in tokens]
    text = " ".join(low)
    return (
        text in COUNTRIES
        or text in ORG_PHRASES
        or any(w in ORG_NAMES for w in low)
        or any(w in ORG_WORDS and t[0].isupper() for w, t in zip(low, tokens, strict=True))
        or _is_acronym(tokens[-1])
        or (_is_initials(tokens[-1]) and text in COUNTRIES)
    )


def _resolve(ph: _Phrase, memory: _Memory) -> Speaker | None:
    if ph.pronoun:
        if ph.pronoun in ("he", "she"):
            entity = memory.most_recent(PERSON)
        elif ph.pronoun == "it":
            entity = memory.most_recent(ORGANIZATION)
        else:
            entity = None  # "they", "we", "I": too vague, or the author
        return entity.speaker() if entity else None
    tokens = ph.tokens
    if not tokens:
        return None
    named = _person_or_org(ph, memory)
    if named is not None:
        return named
    heads = ph.head_tokens
    head = heads[-1]
    head_low = _bare(head)
    if head_low in DOC_NOUNS:
        # "a report by Amnesty International", "a Pentagon statement"
        if ph.pp_phrase is not None and ph.pp[0].lower() in ("by", "from", "of"):
            return _resolve(ph.pp_phrase, memory)
        owners = [t for t in heads[:-1] if t[0].isupper()]
        if owners:
            return _resolve(_Phrase(tokens=owners, start=ph.start, end=ph.end), memory)
        return None
    phrase_text = _text([*tokens, *ph.pp])
    if head_low in GROUP_NOUNS:
        return Speaker(phrase_text, PERSON, ph.appositive)
    if _is_title(head) and head_low not in HONORIFICS:
        if ph.article in ("a", "an") or ph.article in QUANTIFIERS:
            return Speaker(phrase_text, PERSON, ph.appositive)
        qualifiers = [t for t in heads[:-1] if t[0].isupper() and not _is_title(t)]
        owners = frozenset(_bare(t) for t in qualifiers if _possessive(t))
        qualifier_words = frozenset(_bare(t) for t in [*qualifiers, *tokens[len(heads) :], *ph.pp[1:]])
        required = frozenset(
            _bare(t) for t in heads[:-1] if not t[0].isupper() and _bare(t) not in NON_DEFINING and t.isalpha()
        )
        entity = memory.by_role(_strip_prefix(head_low), required, qualifier_words, owners)
        role = _text(tokens)
        if entity is None:
            return Speaker(phrase_text, PERSON, role)
        if role not in entity.descriptions:
            entity.descriptions.append(role)
        return entity.speaker(role)
    if head_low in ORG_WORDS:
        if ph.article == "the" and all(not t[0].isupper() for t in tokens):
            # "the ministry said" points back to the ministry named before.
            entity = memory.org_by_word(head_low)
            if entity is not None:
                return entity.speaker()
        return memory.remember(_text(tokens), ORGANIZATION).speaker()
    return None


def _person_or_org(ph: _Phrase, memory: _Memory) -> Speaker | None:
    """A phrase that names someone: "Secretary-General Jens Stoltenberg", "NATO", "Peskov"."""
    named = _naming(tuple(ph.head_tokens if ph.pp else ph.tokens), bool(ph.article), ph.appositive)
    if named is None:
        return None
    kind, name, description, words = named
    if kind == ORGANIZATION:
        return memory.remember(name, ORGANIZATION).speaker()
    entity = memory.get(name, PERSON) if words > 1 else memory.by_surname(name)
    if entity is None:
        if words == 1 and _bare(name) in NATIONALITIES:
            return None
        entity = memory.remember(name, PERSON, description)
    elif description and description not in entity.descriptions:
        entity.descriptions.append(description)
    return entity.speaker(description or None)


@functools.lru_cache(maxsize=1 << 16)
def _naming(tokens: tuple[str, ...], article: bool, appositive: str) -> tuple[str, str, str, int] | None:
    """Whom the words of a phrase name for _person_or_org: (ORGANIZATION, name, "",
    words) or (PERSON, name, description, words in the name), or None. Depends on
    the words alone, so worked out once per phrase."""
    if not tokens or not _capitalised(tokens[-1]):
        return None
    prefix, name = _split_title(tokens)
    titles = [t for t in prefix if t.lower() not in HONORIFICS]
    titled = bool(name) and any(_is_title(t) for t in titles)
    if not titled:
        if _org_like(tokens) and all(
            t[0].isupper() or t.lower() in _ORG_FUNCTION_WORDS or _category(t) in (_ORG, _MOD) for t in tokens
        ):
            return ORGANIZATION, _text(tokens), "", len(tokens)
        if not name and len(tokens) >= 2 and not article and all(_name_token(t) for t in tokens[:-1]):
            prefix, name = (), tokens  # "Martin Luther King": a name that ends like a title
        if not name or (prefix and not all(_is_modifier(t) for t in prefix)):
            return None
    description = appositive or (_text(titles) if titled else "")
    return PERSON, _text(name), description, len(name)


# --- finding the attribution in one sentence --------------------------------------

_REJECT = _Phrase(tokens=[], start=0, end=0)


def _subject_before(fr: _Frame, verb: int) -> _Phrase | None:
    """The subject of the speech verb at `verb`; None when there is none (inversion may
    follow), _REJECT when the verb is not a statement by a subject here."""
    low, tokens = fr.lower, fr.tokens
    i = verb - 1
    while True:
        while i >= 0 and low[i] in SKIP_BEFORE_VERB:
            i -= 1
        if i >= 1 and low[i] in WEEKDAYS and low[i - 1] in ("on", "last", "this"):
            i -= 2
            continue
        break
    if i < 0 or tokens[i] == Q:
        return None
    if low[i] in BLOCKERS or low[i].endswith("n't"):
        return _REJECT
    if tokens[i] == ",":
        if i >= 1 and tokens[i - 1] == Q:
            return None
        j = i - 1
        while j >= 0 and tokens[j] not in (",", Q, ";", ":", "(", ")") and i - j <= 14:
            j -= 1
        if j >= 1 and tokens[j] == ",":
            phrase = _phrase_back(fr, j - 1)
            if phrase is not None and phrase.tokens:
                return _with_appositive(phrase, fr, j + 1, i)
            name = _name_segment(fr, j + 1, i)
            role = _leading_role(fr, j)
            if name and role:
                # "The leader of the opposition, Keir Starmer, said", "El líder de la oposición, X, aseguró"
                return _Phrase(tokens=name, start=j + 1, end=i, appositive=role)
        return _REJECT
    phrase = _phrase_back(fr, i)
    return phrase if phrase is not None and phrase.tokens else _REJECT


def _leading_role(fr: _Frame, end: int) -> str:
    """The role that opens the sentence and runs up to token ``end`` ("the leader of
    the opposition"), or "" if the words before ``end`` do not start with one."""
    tokens, cats = fr.tokens, fr.cats
    k = 0
    if k < end and (cats[k] == _ARTICLE or fr.lower[k] in ROMANCE_ARTICLES):
        k += 1
    if k >= end or not _is_title(tokens[k]) or end - k > 8:
        return ""
    if any(t in (",", ";", ":", Q) for t in tokens[k:end]):
        return ""
    return _text(tokens[k:end])


def _verb_allowed(fr: _Frame, verb: int) -> bool:
    if fr.lower[verb] not in QUOTE_BOUND_VERBS:
        return True
    after = fr.lower[verb + 1] if verb + 1 < len(fr.lower) else ""
    return fr.has_quote or after in ("that", ",", ".", ":", "on", "in", "")


def _find(fr: _Frame, memory: _Memory) -> tuple[Speaker | None, int]:
    """The speaker the sentence itself names, and where its phrase starts."""
    tokens, low = fr.tokens, fr.lower
    n = len(tokens)

    # Headline style: "NATO: Ukraine’s defense hampered by …"
    if ":" in tokens[:8]:
        colon = tokens.index(":")
        phrase = _phrase_fwd(fr, 0)
        if (
            phrase is not None
            and phrase.end == colon
            and not any(_bare(t) in COLON_LABELS for t in phrase.tokens)
            and (_org_like(phrase.tokens) or any(_is_title(t) for t in phrase.tokens[:-1]))
        ):
            speaker = _resolve(phrase, memory)
            if speaker is not None:
                return speaker, 0

    # "Interfax cited spokesman Dmitry Peskov as saying …" / "X was quoted as saying …"
    for i, word in enumerate(low if not CITING_VERBS.isdisjoint(low) else ()):
        if word not in CITING_VERBS:
            continue
        if i >= 1 and low[i - 1] in ("was", "were", "is", "are", "been"):
            k = i + 1
            if k < n and low[k] == "by":
                quoted_by = _phrase_fwd(fr, k + 1)
                k = quoted_by.end if quoted_by is not None else k + 1
            if k + 1 < n and low[k] == "as" and low[k + 1] in AS_SAYING:
                subject = _subject_before(fr, i - 1)
                if subject is not None and subject.tokens:
                    speaker = _resolve(subject, memory)
                    if speaker is not None:
                        return speaker, subject.start
            continue
        phrase = _phrase_fwd(fr, i + 1)
        if phrase is None:
            continue
        k = phrase.end
        as_saying = k + 1 < n and low[k] == "as" and low[k + 1] in AS_SAYING
        citing = word in ("citing", "quoting") and i >= 1 and tokens[i - 1] == ","
        if as_saying or citing:
            speaker = _resolve(phrase, memory)
            if speaker is not None:
                return speaker, phrase.start

    for i, word in enumerate(low if not SPEECH_VERBS.isdisjoint(low) else ()):
        if word not in SPEECH_VERBS or not _verb_allowed(fr, i):
            continue
        if word in ROMANCE_SPEECH_VERBS:
            found = _romance_speaker(fr, i, memory)
            if found is not None:
                return found
            continue
        subject = _subject_before(fr, i)
        if subject is _REJECT:
            continue
        if subject is None:
            # Inversion is only natural right after a quotation: "“…,” said Peskov."
            previous = i - 1 if i >= 1 and tokens[i - 1] != "," else i - 2
            if previous < 0 or tokens[previous] != Q:
                continue
            subject = _phrase_fwd(fr, i + 1)
            if subject is None:
                continue
        speaker = _resolve(subject, memory)
        if speaker is not None:
            return (replace(speaker, act="accusation") if word in ACCUSE_VERBS else speaker), subject.start

    for i in range(n - 2 if "according" in low else 0):
        if low[i] == "according" and low[i + 1] == "to":
            phrase = _phrase_fwd(fr, i + 2)
            if phrase is not None:
                speaker = _resolve(phrase, memory)
                if speaker is not None:
                    return speaker, phrase.start

    for i, word in enumerate(low if not ACCORDING_WORDS.isdisjoint(low) else ()):
        if word in ACCORDING_WORDS:
            following = tokens[i + 1] if i + 1 < n else ""
            if following[:2].lower() in ("l'", "l’") and following[2:3].isupper():
                # "selon l'Insee": an article before the name, so a body, not a person
                return memory.remember(following[2:], ORGANIZATION).speaker(), i + 1
            phrase = _phrase_fwd(fr, i + 1)
            if phrase is not None:
                speaker = _resolve(phrase, memory)
                if speaker is not None:
                    return speaker, phrase.start

    if not REQUEST_VERBS.isdisjoint(low) or not CALL_VERBS.isdisjoint(low):
        return _request(fr, memory)
    return None, -1


_PRONOUN_INVERSION = {"a-t-il": "he", "a-t-elle": "she", "dit-il": "he", "dit-elle": "she"}


def _romance_speaker(fr: _Frame, verb: int, memory: _Memory) -> tuple[Speaker, int] | None:
    """The speaker of a Spanish or French speech verb: "X dijo", "X a déclaré",
    inverted after a comma or a quotation ("…, dijo Sánchez", "…, a affirmé le
    ministre"), or "…, a-t-il déclaré"."""
    tokens, low = fr.tokens, fr.lower
    start = verb
    while start >= 1 and low[start - 1] in ROMANCE_AUX:
        start -= 1
    if start >= 1 and low[start - 1] in _PRONOUN_INVERSION:
        entity = memory.most_recent(PERSON)
        return (entity.speaker(), start - 1) if entity is not None else None
    if start == 0 or tokens[start - 1] in (",", Q):
        subject = _phrase_fwd(fr, verb + 1)
        if subject is not None:
            speaker = _resolve(subject, memory)
            if speaker is not None:
                return speaker, subject.start
    subject = _subject_before(fr, start)
    if subject is None or subject is _REJECT:
        return None
    speaker = _resolve(subject, memory)
    return (speaker, subject.start) if speaker is not None else None


def _request(fr: _Frame, memory: _Memory) -> tuple[Speaker | None, int]:
    """A person's reported plea, request, demand or accusation: "Zelensky has been
    pleading…", "He urged…", "X called on…". A passive ("was urged to") or a
    participle clause ("Pleading for help, …") has no such subject."""
    tokens, low = fr.tokens, fr.lower
    n = len(tokens)
    for i, word in enumerate(low):
        if word in CALL_VERBS:
            if i + 1 >= n or low[i + 1] not in CALL_PARTICLES:
                continue
        elif word not in REQUEST_VERBS:
            continue
        start = i
        while start >= 1 and low[start - 1] in SKIP_BEFORE_VERB - {"has", "have", "had"}:
            start -= 1  # "has repeatedly urged"
        auxiliaries = []
        while start >= 1 and low[start - 1] in PROGRESSIVE_AUX | {"has", "have", "had"}:
            start -= 1
            auxiliaries.append(low[start])
        progressive = bool(auxiliaries) and auxiliaries[0] in PROGRESSIVE_AUX
        if word.endswith("ing") != progressive:
            continue  # "was urged to" (passive), "Pleading for help," (no finite verb)
        subject = _subject_before(fr, start)
        if subject is None or subject is _REJECT:
            continue
        speaker = _resolve(subject, memory)
        if speaker is not None and speaker.kind == PERSON:
            return replace(speaker, act="request"), subject.start
    return None, -1


def _remember_mentions(fr: _Frame, memory: _Memory, start: int = 0, stop: int | None = None) -> None:
    """Put the people and organisations named in tokens start..stop into memory, in
    order, so later role nouns and pronouns can point back to them."""
    cats, tokens = fr.cats, fr.tokens
    stop = len(tokens) if stop is None else stop
    i = start
    for j, cat in enumerate(cats[start:stop], start):
        if cat not in _NAMING or j < i:
            continue  # no name starts here, or inside the phrase just read
        i = j
        phrase = _phrase_fwd(fr, i)
        if phrase is None:
            i += 1
            continue
        i = max(phrase.end, i + 1)
        place = phrase.start >= 1 and cats[phrase.start - 1] == _PREP
        mention = _mention(tuple(phrase.tokens), phrase.appositive, place)
        if mention is None:
            continue
        kind, name, description = mention
        if kind == "surname":
            entity = memory.by_surname(name)
            if entity is not None:
                memory.touch(entity)
        else:
            memory.remember(name, kind, description)


@functools.lru_cache(maxsize=1 << 16)
def _mention(run: tuple[str, ...], appositive: str, place: bool) -> tuple[str, str, str] | None:
    """What a phrase read by _remember_mentions names: (PERSON or ORGANIZATION,
    name, description), ("surname", word, "") to look up, or None. Depends on
    the words alone, so worked out once per phrase."""
    if not _capitalised(run[-1]):
        return None
    prefix, name = _split_title(list(run))
    titles = [t for t in prefix if t.lower() not in HONORIFICS]
    if name and any(_is_title(t) for t in titles):
        return PERSON, _text(name), appositive or _text(titles)
    if _org_like(list(run)):
        if not _is_title(run[-1]) and not place:
            return ORGANIZATION, _text(run), ""
        return None
    if len(name) == 1 and not prefix:
        return "surname", name[0], ""
    if len(name) >= 2 and name == list(run) and not place:
        return PERSON, _text(name), appositive
    return None


# --- Arabic -------------------------------------------------------------------------
#
# Arabic has no capital letters and puts the verb first ("قال وزير المالية محمد
# العلي إن …": said the minister of finance Mohammed al-Ali that …), so its
# sentences are read by word lists of their own: a speech verb (with "و"/"ف"
# "and" before it), then the words up to "إن"/"أن" ("that") or a comma name the
# speaker: an organisation, a title and its complement ("وزير المالية"), a name.

_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_ARABIC_TOKEN = re.compile(r"[\u0621-\u064a\u0640\u064b-\u065f\u0670]+|[^\s\w]|\w+")
_ARABIC_DIACRITICS = re.compile(r"[\u0640\u064b-\u065f\u0670]")
AR_SPEECH_VERBS = frozenset(
    """
    قال قالت أكد أكدت صرح صرحت أعلن أعلنت أضاف أضافت أوضح أوضحت ذكر ذكرت أفاد أفادت شدد شددت
    اعتبر اعتبرت نفى نفت زعم زعمت حذر حذرت يقول تقول يؤكد تؤكد أشار أشارت كشف كشفت
    """.split()
)
AR_REQUEST_VERBS = frozenset("طالب طالبت دعا دعت ناشد ناشدت حث حثت يطالب تطالب يدعو تدعو".split())
AR_ACCUSE_VERBS = frozenset("اتهم اتهمت يتهم تتهم".split())
AR_ACCORDING = frozenset("وفقا وفق حسب بحسب طبقا".split())
# Words that end the speaker's phrase: "that", prepositions, time words.
AR_STOP = frozenset(
    """
    إن أن ان إنه أنه انه إنها أنها في خلال يوم أمس اليوم الليلة صباح مساء عن على من إلى الى مع بعد قبل
    لـ ل عبر أثناء حيث بأن لقناة لصحيفة لوكالة للصحفيين لرويترز
    """.split()
)
AR_TITLES = frozenset(
    """
    الرئيس رئيس رئيسة الرئيسة وزير وزيرة الوزير الوزيرة المتحدث متحدث المتحدثة الناطق ناطق الناطقة
    المدير مدير مديرة السفير سفير الأمين النائب نائب المستشار مستشار العميد اللواء الشيخ الدكتور
    قائد محافظ الملك الأمير الملكة المفوض مفوض القاضي المدعي زعيم
    """.split()
)
AR_ORG_WORDS = frozenset(
    """
    وزارة الوزارة الحكومة حكومة الشرطة شرطة الجيش جيش وكالة الوكالة البنك بنك المصرف مصرف مكتب المكتب
    المنظمة منظمة هيئة الهيئة المجلس مجلس البرلمان الأمم الاتحاد الرئاسة صحيفة الصحيفة قناة مركز
    المركز اللجنة لجنة جهاز الجهاز الكرملين البيت حركة الحركة حزب الحزب شركة الشركة المحكمة محكمة
    """.split()
)


def _is_arabic(sentence: str) -> bool:
    letters = sum(1 for c in sentence if c.isalpha())
    return letters > 0 and len(_ARABIC_LETTER.findall(sentence)) > letters / 2


def _ar_word(token: str) -> str:
    return _ARABIC_DIACRITICS.sub("", token)


def _ar_verb(word: str, verbs: frozenset[str]) -> bool:
    return word in verbs or (word[:1] in ("و", "ف") and word[1:] in verbs)


def _ar_phrase(words: list[str], start: int) -> list[str]:
    phrase = []
    for word in words[start : start + 7]:
        if word in AR_STOP or not _ARABIC_LETTER.match(word) and not word.isalnum():
            break
        if word[:1] in ("ل", "ب") and len(phrase) > 0 and word[1:] in AR_STOP:
            break
        phrase.append(word)
    return phrase


def _ar_speaker(phrase: list[str], memory: _Memory) -> Speaker | None:
    """Who an Arabic phrase names: an organisation, a titled person, a role held by
    someone named before, or a bare name."""
    if not phrase:
        return None
    if phrase[0] in AR_ORG_WORDS:
        # The body and its complements: "وزارة الدفاع", "وكالة رويترز", "الشرطة"
        # (not "الشرطة اعتقال …", the police [confirmed] the arrest of …).
        k = 1
        if k < len(phrase) and not phrase[0].startswith("ال"):
            k += 1
        while k < len(phrase) and phrase[k].startswith("ال"):
            k += 1
        return memory.remember(" ".join(phrase[:k]), ORGANIZATION).speaker()
    if phrase[0] in AR_TITLES:
        title = [phrase[0]]
        k = 1
        while k < len(phrase) and (phrase[k].startswith("ال") or phrase[k] == "باسم"):
            # its complement: "وزير المالية", "الرئيس الأمريكي", "المتحدث باسم الحكومة"
            title.append(phrase[k])
            k += 1
        name, description = " ".join(_ar_name(phrase[k:])), " ".join(title)
        if name:
            return memory.remember(name, PERSON, description).speaker(description)
        bare = phrase[0].removeprefix("ال")
        for entity in reversed(memory.entities):
            if entity.kind == PERSON and any(
                bare in d.split() or "ال" + bare in d.split() for d in entity.descriptions
            ):
                return entity.speaker(description)
        return Speaker(description, PERSON, description)
    text = " ".join(phrase)
    for entity in reversed(memory.entities):
        if entity.kind == PERSON and (text == entity.name or text.startswith(entity.name + " ")):
            return entity.speaker()  # a name seen before, then the verb's object
    if len(phrase) > 4:
        return None  # a clause, not a name
    name = " ".join(phrase)
    entity = memory.get(name, PERSON) or memory.by_surname(phrase[-1]) if len(phrase) == 1 else memory.get(name, PERSON)
    return (entity or memory.remember(name, PERSON)).speaker()


def _ar_name(words: list[str]) -> list[str]:
    """A name at the start of words: a given name and a family name ("محمد العلي"),
    three words after "عبد"/"أبو" ("عبد الله الحسن"); what follows is the verb's
    object ("… الحكومة", the government)."""
    length = 3 if words[:1] and words[0] in ("عبد", "أبو", "بن") else 2
    return words[:length]


def _find_arabic(sentence: str, memory: _Memory) -> Speaker | None:
    words = [_ar_word(t) for t in _ARABIC_TOKEN.findall(sentence)]
    for verbs, act in ((AR_SPEECH_VERBS, "statement"), (AR_ACCUSE_VERBS, "accusation"), (AR_REQUEST_VERBS, "request")):
        for i, word in enumerate(words):
            if not _ar_verb(word, verbs):
                continue
            phrase = _ar_phrase(words, i + 1)
            if phrase:
                speaker = _ar_speaker(phrase, memory)
            else:  # "وأضاف أن …": "and he added that …"
                entity = memory.most_recent(PERSON) or memory.most_recent(ORGANIZATION)
                speaker = entity.speaker() if entity is not None else None
            if speaker is not None and (act != "request" or speaker.kind == PERSON):
                return replace(speaker, act=act)
    for i, word in enumerate(words):
        if word in AR_ACCORDING:
            k = i + 1
            if k < len(words) and words[k] in ("ل", "لـ"):
                k += 1
            if k < len(words) and words[k] == "عن":
                k += 1
            if k >= len(words):
                continue
            first = words[k]
            if word in ("وفقا", "وفق", "طبقا"):
                first = "ال" + first[2:] if first.startswith("لل") else first.removeprefix("ل")
            phrase = _ar_phrase([first, *words[k + 1 :]], 0)
            speaker = _ar_speaker(phrase, memory)
            if speaker is not None:
                return speaker
    return None


def attribute(sentences: Sequence[str]) -> list[Speaker | None]:
    """The speaker of each sentence of one article, or None for the outlet's own voice.

    A sentence that is only a quotation (or continues one left open) gets the speaker
    of the sentence before it; a quotation that runs over several sentences and is
    attributed only at its end gets that speaker in every sentence.
    """
    memory = _Memory()
    frames: list[_Frame] = []
    own: list[Speaker | None] = []
    result: list[Speaker | None] = []
    open_quote = False
    for sentence in sentences:
        fr = _frame(sentence, open_quote)
        open_quote = fr.open_at_end
        if not sentence.isascii() and _is_arabic(sentence):
            speaker, position = _find_arabic(sentence, memory), -1
            frames.append(fr)
            own.append(speaker)
            result.append(speaker)
            continue
        if (
            len(fr.tokens) > 1
            and fr.lower[0] in ROMANCE_ARTICLES
            and fr.cats[0] == _CAP
            and (fr.cats[1] in (_TITLE, _ORG, _OTHER, _GROUP) or _is_title(fr.tokens[1]) or fr.lower[1] in ORG_WORDS)
        ):
            # "La ministra …", "El Ministerio …", "Les prix …": an article, not part of
            # a name ("Le Pen" keeps its "Le"). _frame stays the plain tokenizer's.
            fr.cats[0] = _ARTICLE
        speaker, position = _find(fr, memory) if fr.tokens else (None, -1)
        if speaker is not None:
            _remember_mentions(fr, memory, 0, position)
            entity = memory.get(speaker.name, speaker.kind)
            if entity is not None:
                memory.touch(entity)
            _remember_mentions(fr, memory, position)
        else:
            _remember_mentions(fr, memory)
        frames.append(fr)
        own.append(speaker)
        if speaker is None and (fr.quote_only or fr.started_open) and result:
            speaker = result[-1]
        result.append(speaker)

    # A quotation still without a speaker takes the first one named in the group of
    # sentences it runs over (each continuing one left open before it).
    for k, fr in enumerate(frames):
        if result[k] is not None or not fr.has_quote:
            continue
        first, end = k, k + 1
        while first > 0 and frames[first].started_open:
            first -= 1
        while end < len(frames) and frames[end].started_open:
            end += 1
        result[k] = next((speaker for speaker in own[first:end] if speaker is not None), None)
    return result
