"""A small multilingual lexicon of outage cues, shared across languages as three tokens.

The real posts hold about 2,500 English rows but only 120-290 per other language, so an n-gram that
means "it is down" in Korean or German is seen a handful of times, if at all, while its English
counterparts are seen hundreds of times. Each phrase below (by what it says, not by language) becomes
one of three tokens appended to the normalised text: ``cueoutage`` (it fails now: "is down", "落ちてる",
"fora do ar", "먹통"), ``cuerecovery`` (it works again: "is back", "復旧", "ya volvió") and ``cuepast``
(yesterday, maintenance, post-mortem). The model learns one weight per token from every language at
once, so the evidence of the many English posts carries to the few others. The phrases are general
outage vocabulary, written from knowledge of the languages, not read off the labeled posts; a bare
"down" is left out because English uses it for much else ("let me down", "download" is not matched
but "down the road" would be), and the word n-grams already learn it in context. A phrase that begins or
ends with a Latin letter matches whole words only.

In nested cross-validation on the real training posts (``benchmarks/classifier_models.py``) the cues
raised F1 at precision 0.85 on the other languages from about 0.63 to 0.68, with English unchanged.

>>> cue_tokens("ChatGPT caído?? no funciona desde hace una hora")
'cueoutage cueoutage'
>>> cue_tokens("GitHub ist wieder da, funktioniert wieder")
'cuerecovery cuerecovery'
>>> cue_tokens("you let me down, download is slow; this backup is fine")
''
>>> cue_tokens("#DiscordDown since yesterday, not working")
'cueoutage cueoutage cuepast'
"""
from __future__ import annotations

import re

import ahocorasick

# Per-token cap: a post that repeats a phrase ten times is not ten times as down.
MAX_PER_CUE = 3

OUTAGE = [
    # English
    "is down", "are down", "went down", "goes down", "down again", "still down", "down for", "down?", "outage",
    "not working", "isn't working", "isnt working", "stopped working", "doesn't work", "does not work",
    "not loading", "won't load", "wont load", "can't connect", "cant connect", "cannot connect",
    "unable to connect", "can't access", "cant access", "cannot access", "unavailable", "offline",
    "bad gateway", "something went wrong", "timed out", "keeps crashing", "no service", "no internet",
    "not responding", "anyone else", "just me",
    # Japanese
    "落ちてる", "落ちた", "落ちて", "鯖落ち", "障害", "繋がらない", "つながらない", "使えない", "見れない",
    "接続できない", "ログインできない", "重い", "サーバーダウン", "圏外", "問題が発生", "エラーが出",
    # Chinese
    "挂了", "挂掉", "崩了", "炸了", "宕机", "打不开", "无法访问", "访问不了", "用不了", "登不上", "登录不了",
    "无法登录", "故障", "出问题", "无法连接", "连不上", "崩溃", "上不去", "死了", "不行了", "无法使用",
    # Korean
    "먹통", "장애", "접속이 안", "접속 안", "안 돼", "안돼", "안 되", "서버 다운", "접속 불가", "접속 오류", "터졌",
    "터져", "서버가 죽", "서버 오류", "오류가",
    # Spanish
    "caído", "caido", "caida", "caída", "cayó", "cayo", "no funciona", "no funcan", "no carga", "no me deja",
    "sin servicio", "sin internet", "no puedo entrar", "no anda", "no sirve", "fallando", "problemas con",
    # Portuguese
    "fora do ar", "caiu", "não funciona", "nao funciona", "instabilidade", "não carrega", "sem internet",
    "sem sinal", "não consigo", "nao consigo", "travou", "não abre", "tá fora", "esta fora", "está fora",
    "tudo fora", "fora!",
    # German
    "störung", "stoerung", "geht nicht", "funktioniert nicht", "ausfall", "nicht erreichbar", "kein internet",
    "kaputt", "nicht mehr erreichbar", "net mehr", "probleme mit",
    # French
    "en panne", "panne", "ne marche pas", "ça marche pas", "ne fonctionne pas", "inaccessible", "hors service",
    "plus de réseau",
    # Italian
    "non funziona", "disservizio", "non va", "irraggiungibile", "inaccessibile", "non si apre", "non riesco",
    "in down", "zero rete", "problemi di",
    # Indonesian
    "gangguan", "tidak bisa", "gak bisa", "ga bisa", "nggak bisa", "ngak bisa", "enggak bisa", "lemot",
    "tidak dapat diakses", "eror",
]
RECOVERY = [
    # Done, not awaited: "when will it be restored?" is a complaint.
    "it's back", "is back", "are back", "working again", "works again", "works now", "working now", "fixed now",
    "is resolved", "been resolved", "now resolved", "all resolved", "is restored", "been restored",
    "was restored", "now restored", "back online",
    "復旧", "直った", "治った", "恢复", "好了", "복구", "정상화", "volvió", "ya funciona", "voltou", "normalizado",
    "wieder da", "funktioniert wieder", "rétabli", "remarche", "ripristinat", "funziona di nuovo", "pulih",
    "sudah bisa",
]
PAST = [
    "yesterday", "last week", "last night", "post-mortem", "postmortem", "root cause", "incident report",
    "maintenance", "scheduled",
    "昨日", "先週", "メンテナンス", "昨天", "上周", "维护", "어제", "점검", "ayer", "mantenimiento", "ontem",
    "manutenção", "gestern", "wartung", "hier soir", "ieri", "manutenzione", "kemarin", "pemeliharaan",
]
CUES = {"cueoutage": OUTAGE, "cuerecovery": RECOVERY, "cuepast": PAST}
# "#TwitterDown", "#discorddown": a hashtag ending in "down" is an outage cue in any language.
_DOWN_HASHTAG = re.compile(r"#\w+down\b")


def _automaton() -> ahocorasick.Automaton:
    # Aho-Corasick finds every phrase in one pass over the text: ~40 times faster than one regex alternation.
    automaton = ahocorasick.Automaton()
    for token, phrases in CUES.items():
        for phrase in phrases:
            automaton.add_word(phrase, (token, len(phrase)))
    automaton.make_automaton()
    return automaton


_AUTOMATON = _automaton()


def _bounded(text: str, start: int, end: int) -> bool:
    """A phrase that starts or ends with a letter must not be part of a longer word ("this backup" is not
    "is back"); CJK text has no spaces, so its phrases match anywhere."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not ((text[start].isascii() and before.isalnum()) or (text[end - 1].isascii() and after.isalnum()))


def cue_tokens(text: str) -> str:
    """The cue tokens of ``text``: each cue once per phrase found, at most ``MAX_PER_CUE`` times."""
    text = text.lower().replace("\u2019", "'")
    counts = {token: 0 for token in CUES}
    counts["cueoutage"] += len(_DOWN_HASHTAG.findall(text))
    for end, (token, length) in _AUTOMATON.iter_long(text):
        if _bounded(text, end + 1 - length, end + 1):
            counts[token] += 1
    return " ".join(" ".join([token] * min(n, MAX_PER_CUE)) for token, n in counts.items() if n)
