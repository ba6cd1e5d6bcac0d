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
raised F1 at precision 0.85 on the other languages from about 0.63 to 0.68, with English unchanged. A second
round (failing to load, pay, log in, connect or send; freezing, crashing, error pages, "service unavailable")
raised the out-of-fold F1 at precision 0.85 on the real train + validation posts from 0.674 to 0.699, most in
German (0.55 to 0.65), French (0.54 to 0.60), Indonesian (0.59 to 0.64), Spanish (0.63 to 0.68) and Japanese
(0.54 to 0.58). Phrases that as often say one user's own problem ("不具合", "利用できない", "having issues",
"timeout") were tried and left out.

>>> cue_tokens("ChatGPT caído?? no funciona desde hace una hora")
'cueoutage cueoutage'
>>> cue_tokens("GitHub ist wieder da, funktioniert wieder")
'cuerecovery cuerecovery'
>>> cue_tokens("you let me down, download is slow; this backup is fine")
''
>>> cue_tokens("#DiscordDown since yesterday, not working")
'cueoutage cueoutage cuepast'
>>> cue_tokens("PayPayで支払いができない、アプリも開かない")
'cueoutage cueoutage'
>>> cue_tokens("Netflix ist down, Anmeldung nicht verfügbar")
'cueoutage cueoutage'
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
    "not responding", "anyone else", "just me", "outages", "server down", "servers down", "servers are down",
    "down right now", "down for everyone", "is it down", "internal server error", "service unavailable",
    "gateway timeout", "connection refused", "won't open", "wont open", "not opening", "can't log in", "can't login",
    "cant login", "cannot log in", "can't sign in", "cant sign in", "unable to sign in", "can't pay", "unable to pay",
    "can't send", "cant send", "won't send", "failed to load", "fails to load", "unable to load", "can't load",
    "cant load", "not connecting", "won't connect", "wont connect", "no signal", "keeps freezing", "crashed",
    "same here",
    # Japanese
    "落ちてる", "落ちた", "落ちて", "鯖落ち", "障害", "繋がらない", "つながらない", "使えない", "見れない",
    "接続できない", "ログインできない", "重い", "サーバーダウン", "圏外", "問題が発生", "エラーが出",
    "アクセスできない", "アクセス出来ない", "アクセスできません", "アクセスできなく", "接続できません", "接続できなく",
    "ログインできません", "ログインできなく", "繋がりにくい", "つながりにくい", "繋がりません", "つながりません",
    "繋がらなく", "つながらなく", "開かない", "開けない", "開けません", "表示されない", "見られない", "読み込めない",
    "読み込まない", "送れない", "送信できない", "支払いができない", "決済できない", "払えない", "利用できません",
    "使えなく", "起動しない", "起動できない", "動かない", "固まって", "固まる", "フリーズ", "クラッシュ", "ダウンしてる",
    "サーバダウン", "サーバーが落ち", "サーバが落ち", "死んでる", "停止中", "サービス停止",
    # Chinese
    "挂了", "挂掉", "崩了", "炸了", "宕机", "打不开", "无法访问", "访问不了", "用不了", "登不上", "登录不了",
    "无法登录", "故障", "出问题", "无法连接", "连不上", "崩溃", "上不去", "死了", "不行了", "无法使用", "加载不出",
    "无法支付", "支付不了", "付不了", "连接失败", "登录失败", "服务不可用", "服务器错误", "网络异常", "没信号", "没有信号",
    "断网",
    # Korean
    "먹통", "장애", "접속이 안", "접속 안", "안 돼", "안돼", "안 되", "서버 다운", "접속 불가", "접속 오류", "터졌",
    "터져", "서버가 죽", "서버 오류", "오류가", "오류 발생", "에러가", "안 열", "안 들어가", "안들어가", "결제가 안",
    "결제 안", "연결이 안", "튕겨", "튕김", "끊겼", "끊김", "불통",
    # Spanish
    "caído", "caido", "caida", "caída", "cayó", "cayo", "no funciona", "no funcan", "no carga", "no me deja",
    "sin servicio", "sin internet", "no puedo entrar", "no anda", "no sirve", "fallando", "problemas con", "se cae",
    "se caen", "caídos", "caidos", "servidor caído", "no funcionan", "no me funciona", "no le funciona", "no andan",
    "no está funcionando", "no esta funcionando", "dejó de funcionar", "dejo de funcionar", "dejado de funcionar",
    "está fallando", "esta fallando", "no me carga", "no abre", "no responde", "no puedo pagar", "no puedo iniciar",
    "no puedo ingresar", "no puedo acceder", "no puedo conectar", "intermitencia", "intermitencias",
    "problemas técnicos", "inconvenientes técnicos", "sin señal", "sin sistema", "sin conexión", "error de conexión",
    "se congeló", "se congela", "se colgó",
    # Portuguese
    "fora do ar", "caiu", "não funciona", "nao funciona", "instabilidade", "não carrega", "sem internet",
    "sem sinal", "não consigo", "nao consigo", "travou", "não abre", "tá fora", "esta fora", "está fora",
    "tudo fora", "fora!", "não está funcionando", "nao esta funcionando", "parou de funcionar", "não abre o app",
    "não entra", "não conecta", "nao conecta", "não responde", "travado", "instável", "sem serviço", "sem conexão",
    # German
    "störung", "stoerung", "geht nicht", "funktioniert nicht", "ausfall", "nicht erreichbar", "kein internet",
    "kaputt", "nicht mehr erreichbar", "net mehr", "probleme mit", "ist down", "sind down", "komplett down",
    "ist offline", "nicht verfügbar", "totalausfall", "ausfälle", "störungen", "überlastet", "funktioniert gerade nicht",
    "funktioniert bei mir nicht", "nicht mehr funktioniert", "geht gerade nicht", "gehts nicht", "geht's nicht",
    "geht nichts", "geht gar nichts", "geht garnicht", "klappt nicht", "läuft nicht", "läuft gerade nicht",
    "lädt nicht", "nicht geladen", "keine daten", "keine verbindung", "kein netz", "kein empfang", "kein login",
    "kein einloggen", "nicht einloggen", "nicht anmelden", "abgestürzt", "stürzt ab", "fehlermeldung",
    "fehler aufgetreten", "schiefgelaufen", "lief schief", "zeitüberschreitung",
    # French
    "en panne", "panne", "ne marche pas", "ça marche pas", "ne fonctionne pas", "inaccessible", "hors service",
    "plus de réseau", "ne fonctionne plus", "marche pas", "rien ne marche", "ne répond plus", "ne répond pas",
    "indisponible", "indisponibles", "est hs", "est down", "saturé", "impossible de se connecter",
    "arrive pas à me connecter", "impossible d'accéder", "impossible de payer", "ne charge pas", "ne charge plus",
    "ne se charge pas", "ne se lance pas", "ne se lancent pas", "plante", "erreur serveur", "aucun réseau",
    "pas de réseau", "aucun service", "problème technique", "problèmes techniques", "difficultés techniques",
    # Italian
    "non funziona", "disservizio", "non va", "irraggiungibile", "inaccessibile", "non si apre", "non riesco",
    "in down", "zero rete", "problemi di", "non funzionano", "non carica", "non si carica", "non risponde",
    "non raggiungibile", "è down", "in tilt", "nessun segnale", "senza rete",
    # Indonesian
    "gangguan", "tidak bisa", "gak bisa", "ga bisa", "nggak bisa", "ngak bisa", "enggak bisa", "lemot",
    "tidak dapat diakses", "eror", "gabisa", "belum bisa", "gak bisa login", "tidak bisa dibuka", "gak bisa dibuka",
    "gagal", "server mati", "jaringan mati", "sinyal hilang", "hilang sinyal", "tidak ada sinyal", "gak ada sinyal",
    "loading terus", "tidak merespon", "tidak respon", "bermasalah", "kendala", "error terus", "lagi error",
    "sedang error", "lagi down", "lagi trouble",
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
