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
"timeout") were tried and left out. A third round (207 phrases in the nine other languages: polite and plural
forms, error and blank screens, "is it just me?", overload, "not yet restored" and "went down again", which
outrank the recovery words they contain, and past or maintenance phrasing such as "estuvo caído" and
"Wartungsarbeiten") raised the out-of-fold F1 on the 10,645 train + validation posts from 0.772 to 0.778 and
PR-AUC from 0.858 to 0.862 (Spanish +0.024, Japanese +0.014, Portuguese +0.011, Korean +0.009; German -0.013,
French -0.008).
A fourth round (204 phrases, English among them: outages told to ISP, mobile, TV and streaming support
accounts, "internet is out", "no wifi", "haven't had service"; German compounds such as "Netzstörung", which
the whole-word "Störung" never matched; and phrases that outrank a cue they contain, "is back down" over
"is back", "was unavailable" over "unavailable") raised the out-of-fold F1 on the train + validation posts
from 0.778 to 0.788 and PR-AUC from 0.862 to 0.869 (Spanish +0.025, Korean +0.023, Japanese +0.020, French
+0.020, Italian +0.012, English +0.008). Its helper had also counted each phrase's labels over every batch,
test split included, and dropped five phrases on those counts; they are back (the out-of-fold figures
decided: F1 0.786 without them), but the other phrases passed the same sanity check, so the test split's
figure for this round is not wholly untouched.
A fifth round was tried and not kept. Two new tokens, one user's own problem ("my account", "my order",
"charged twice", "after updating") and advice or support replies ("have you tried", "clear your cache",
"DM us"), gained nothing out of fold (F1 0.788 both): the word n-grams already learn those words. Its 64
phrases for the three lists raised the out-of-fold F1 from 0.788 to 0.792, but they were written from those
very errors, which flatters them, and the test split fell from 0.770 to 0.764 (PR-AUC level at 0.848).

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

import hashlib
import json
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
    # Third round (2026-11-26), by language: see the module docstring.
    # Japanese
    "サーバー落ち",        # ja: server down ("サーバーが落ち" without the particle)
    "サーバ落ち",          # ja: server down (short spelling)
    "閲覧不可",            # ja: cannot be viewed
    "接続不可",            # ja: cannot connect
    "ログイン不可",        # ja: login impossible
    "繋がらず",            # ja: could not connect (continuative form)
    "ログイン出来ない",    # ja: can't log in (出来 spelling)
    "開きません",          # ja: won't open (polite)
    "表示されません",      # ja: isn't displayed (polite)
    "読み込めません",      # ja: can't load (polite)
    "使えません",          # ja: can't use it (polite)
    "利用しづらい",        # ja: hard to use (provider notices: ご利用しづらい状況)
    "繋がりづらい",        # ja: hard to connect
    "エラーが発生",        # ja: an error occurred (error screen)
    "画面が真っ白",        # ja: the screen is blank white
    "アクセス集中",        # ja: access overload
    "復旧作業",            # ja: restoration work under way (still down)
    "復旧の見通し",        # ja: outlook for restoration (still down)
    "復旧待ち",            # ja: waiting for restoration
    "復旧しない",          # ja: not restored
    "復旧していない",      # ja: hasn't been restored
    "未復旧",              # ja: not yet restored
    "俺だけ？",            # ja: is it just me? (full-width ?)
    "自分だけ？",          # ja: is it just me? (full-width ?)
    # Spanish
    "se murió",            # es: it died
    "se cortó",            # es: it was cut off (signal / service)
    "ha petado",           # es (Spain): it has crashed / broken down
    "colapsó",             # es: it collapsed
    "fuera de línea",      # es: offline
    "fuera de servicio",   # es: out of service
    "algo salió mal",      # es: something went wrong (error screen)
    "soy el único",        # es: am I the only one (m.)
    "a alguien más",       # es: anyone else? (a alguien más le pasa)
    "tampoco me funciona", # es: doesn't work for me either
    "no cargan",           # es: they don't load
    "no ha vuelto",        # es: hasn't come back
    "sigue sin funcionar", # es: still not working
    "volvió a caer",       # es: went down again (beats recovery "volvió")
    "interrupción del servicio",    # es: service interruption
    # Portuguese
    "indisponível",        # pt: unavailable
    "indisponibilidade",   # pt: unavailability
    "saiu do ar",          # pt: went off the air
    "está em baixo",       # pt (Portugal): is down
    "mais alguém",         # pt: anyone else?
    "só comigo",           # pt: (is it) just me?
    "não voltou",          # pt: hasn't come back (beats recovery "voltou")
    "voltou a cair",       # pt: went down again (beats recovery "voltou")
    "não funcionam",       # pt: they don't work
    # German
    "funktionieren nicht", # de: (they) don't work
    "funzt nicht",         # de (colloquial): doesn't work
    "ausgefallen",         # de: failed / is out
    "lahmgelegt",          # de: paralysed / knocked out
    "serverprobleme",      # de: server problems
    "serverfehler",        # de: server error
    "kein zugriff",        # de: no access
    "nichts geht mehr",    # de: nothing works any more
    "wieder down",         # de: down again (schon wieder down)
    "bin ich der einzige", # de: am I the only one?
    "sonst noch jemand",   # de: anyone else?
    "bei euch auch",       # de: for you too?
    # French
    "planté",              # fr: crashed
    "en rade",             # fr: broken down
    "ne marchent pas",     # fr: (they) don't work
    "ne fonctionnent pas", # fr: (they) don't work
    "ne refonctionne pas", # fr: still not working again (beats recovery "refonctionne")
    "n'est plus accessible", # fr: no longer accessible
    "plus d'internet",     # fr: no more internet
    "impossible de me connecter", # fr: impossible to log in / connect
    "arrive plus à me connecter", # fr: can't connect any more
    "coupure internet",    # fr: internet cut
    "service dégradé",     # fr: degraded service
    "je suis le seul",     # fr: am I the only one (m.)
    # Italian
    "inutilizzabile",      # it: unusable
    "temporaneamente non disponibile", # it: temporarily unavailable
    "servizio non disponibile", # it: service unavailable
    "non funzionante",     # it: not working
    "non si connette",     # it: won't connect
    "non si riesce",       # it: one can't (access, pay ...)
    "impossibile accedere", # it: impossible to access
    "non c'è campo",       # it: no signal
    "malfunzionamento",    # it: malfunction
    "interruzione del servizio", # it: service interruption
    # Korean
    "서버 폭주",           # ko: server overload
    "서버 터지",           # ko: server blew up (터지냐 / 터지는)
    "접속할 수 없",        # ko: cannot connect
    "접속이 불가",         # ko: connection impossible
    "이용이 불가",         # ko: cannot be used
    "이용 불가",           # ko: unavailable
    "접속 실패",           # ko: connection failed
    "서비스 중단",         # ko: service interrupted
    "원활하지 않",         # ko: not working smoothly (접속이 원활하지 않습니다)
    "연결 안",             # ko: not connecting
    "접근이 안",           # ko: can't access
    "데이터 안 터",        # ko: mobile data not working
    "나만 그런",           # ko: is it just me
    "복구 중",             # ko: being restored (still down; beats recovery "복구")
    "복구중",              # ko: being restored (no space)
    "언제 복구",           # ko: when will it be restored?
    # Chinese (simplified and traditional)
    "瘫痪",                # zh: paralysed (service-wide outage)
    "无法正常访问",        # zh: cannot be accessed normally
    "无法打开",            # zh: cannot open
    "不能访问",            # zh: cannot access
    "无法加载",            # zh: unable to load
    "没恢复",              # zh: not restored (beats recovery "恢复")
    "没有恢复",            # zh: not restored
    "未恢复",              # zh: not yet restored
    "正在修复",            # zh: being fixed (still down)
    "我这里也是",          # zh: same here
    "無法使用",            # zh-TW: unusable
    "無法連線",            # zh-TW: cannot connect
    "當機",                # zh-TW: crashed / down
    # Indonesian
    "sedang down",         # id: is down
    "down lagi",           # id: down again
    "sulit diakses",       # id: hard to access
    "susah diakses",       # id: hard to access (colloquial)
    "tidak berfungsi",     # id: not functioning
    "mati total",          # id: totally dead
    "lumpuh",              # id: paralysed
    "belum pulih",         # id: not yet recovered (beats recovery "pulih")
    "blm bisa",            # id: still can't (abbrev.)
    "tidak dapat terhubung", # id: cannot connect
    "tidak sendirian",     # id: (you are) not alone
    "bukan cuma aku",      # id: not just me
    # Fourth round (2026-11-26), by language: see the module docstring.
    # English: ISP, mobile, TV and streaming outages reported to support accounts
    "internet is out",        # en: the internet is out
    "internet out",           # en: internet out (again)
    "has been down",          # en: has been down (for hours)
    "have been down",         # en: have been down
    "down in my area",        # en: down in my area
    "service is out",         # en: (phone / TV) service is out
    "keeps going out",        # en: keeps going out (internet / cable)
    "keeps buffering",        # en: keeps buffering (streaming)
    "can't stream",           # en: can't stream
    "wifi is out",            # en: wifi is out
    "no wifi",                # en: no wifi
    "cable is out",           # en: (TV) cable is out
    "haven't had service",    # en: haven't had service
    "without internet",       # en: without internet
    "lost service",           # en: lost service
    "no cell service",        # en: no cell service
    "no phone service",       # en: no phone service
    "outtage",                # en: outage (common misspelling)
    "service restoration",    # en: (ETA on) service restoration
    "to come back online",    # en: waiting for it to come back online (beats recovery "back online")
    "is back down",           # en: it is back down (beats recovery "is back")
    "it's back down",         # en: it's back down (beats recovery "it's back")
    "not resolved",           # en: (still) not resolved
    "not been resolved",      # en: has not been resolved (beats recovery "been resolved")
    "seems to be down",       # en: seems to be down
    "appears to be down",     # en: appears to be down
    "currently down",         # en: currently down
    "down worldwide",         # en: down worldwide
    "servers are overloaded", # en: servers are overloaded
    "server issues",          # en: server issues
    "nothing is loading",     # en: nothing is loading
    "not just you",           # en: (it's) not just you
    "trouble accessing",      # en: (having) trouble accessing
    # Japanese
    "画面真っ白",          # ja: screen blank white (without particle)
    "投稿できない",        # ja: can't post
    "再生できない",        # ja: can't play (video)
    "視聴できない",        # ja: can't watch
    "遊べない",            # ja: can't play
    "通話できない",        # ja: can't make calls
    "通信できない",        # ja: no data connection
    "通信不可",            # ja: no data connection possible
    "ダウンしている",      # ja: is down
    "ダウン中",            # ja: currently down
    # Spanish
    "no funca",            # es (colloquial): doesn't work
    "no funcione",         # es: doesn't work (subjunctive: que no funcione)
    "se ha cortado",       # es: has been cut off
    "no hay servicio",     # es: there's no service
    "no hay señal",        # es: there's no signal
    "dejaron de funcionar", # es: they stopped working
    "dejó de responder",   # es: stopped responding
    "solo a mí",           # es: (is it) just me?
    # Portuguese
    "não volta",           # pt: won't come back (não volta a funcionar)
    "está caindo",         # pt: keeps going down
    "tá caindo",           # pt: keeps going down (colloquial)
    "não está carregando", # pt: is not loading
    # German
    "stürzt ständig ab",   # de: keeps crashing
    "geht wieder nicht",   # de: doesn't work again (beats recovery "geht wieder")
    "internetausfall",     # de: internet outage (compound; "ausfall" matches whole words only)
    "serverausfall",       # de: server outage
    "netzausfall",         # de: network outage
    "netzstörung",         # de: network disruption
    "noch nicht behoben",  # de: not yet fixed
    "bei mir auch nicht",  # de: not for me either
    # French
    "ça rame",             # fr: it's crawling
    "ça mouline",          # fr: it keeps spinning
    "plus internet",       # fr: (j'ai) no more internet
    "pas d'internet",      # fr: no internet
    "plus de connexion",   # fr: no more connection
    "n'ai plus accès",     # fr: I no longer have access
    "ne chargent pas",     # fr: (they) don't load
    "écran noir",          # fr: black screen
    "coupure réseau",      # fr: network cut
    "sont hs",             # fr: are out of order
    "chez vous aussi",     # fr: for you too?
    "je suis la seule",    # fr: am I the only one (f.)
    "difficultés pour accéder", # fr: difficulties accessing
    # Korean
    "연결안",              # ko: not connecting (no space)
    "접근이 되지 않",      # ko: cannot access
    "원활하지 못",         # ko: not working smoothly
    "사이트가 죽",         # ko: the site died
    "안되네요",            # ko: doesn't work (polite, noticing)
    "작동하지 않",         # ko: not operating
    "버퍼링",              # ko: buffering
    "버벅",                # ko: lagging / stuttering
    "못 들어가",           # ko: can't get in
    "저만 그런",           # ko: is it just me (polite)
    "복구해",              # ko: restore it! (beats recovery "복구")
    "빨리 복구",           # ko: restore it quickly (beats recovery "복구")
    "아직 복구",           # ko: not yet restored (beats recovery "복구")
    # Chinese
    "进不去",              # zh: can't get in
    "無法正常",            # zh-TW: cannot ... normally
    "无法正常打开",        # zh: cannot open normally
    "没法正常访问",        # zh: cannot access normally
    "服务器繁忙",          # zh: server busy
    "一直转圈",            # zh: keeps spinning
    "上不了网",            # zh: can't get online
    "連不上",              # zh-TW: can't connect
    "打不開",              # zh-TW: won't open
    "進不去",              # zh-TW: can't get in
    # Indonesian
    "tak bisa",            # id: can't
    "blom bisa",           # id: still can't (colloquial)
    "masih error",         # id: still erroring
    "masih down",          # id: still down
    "internet mati",       # id: internet dead
    "wifi mati",           # id: wifi dead
    "kapan pulih",         # id: when will it recover? (beats recovery "pulih")
    "belum normal",        # id: not back to normal yet
    # Italian
    "sito giù",            # it: site down
    "server giù",          # it: server down
    "non utilizzabili",    # it: unusable (pl.)
    "niente internet",     # it: no internet
    "senza internet",      # it: without internet
    "non è raggiungibile", # it: is not reachable
    "non è stato risolto", # it: has not been resolved (beats recovery "è stato risolto")
    # Put back after the helper had dropped them on label counts that took in the test split; kept as the
    # out-of-fold figures on train + validation alone decided (see the module docstring).
    "ne marche plus",      # fr: no longer works
    "be restored",         # en: (when will it) be restored
    "restore service",     # en: (please) restore service
    "service interruption",   # en: service interruption
    "service interruptions",  # en: service interruptions
]
RECOVERY = [
    # Done, not awaited: "when will it be restored?" is a complaint.
    "it's back", "is back", "are back", "working again", "works again", "works now", "working now", "fixed now",
    "is resolved", "been resolved", "now resolved", "all resolved", "is restored", "been restored",
    "was restored", "now restored", "back online",
    "復旧", "直った", "治った", "恢复", "好了", "복구", "정상화", "volvió", "ya funciona", "voltou", "normalizado",
    "wieder da", "funktioniert wieder", "rétabli", "remarche", "funziona di nuovo", "pulih",
    "sudah bisa",
    # Third round (2026-11-26), by language: see the module docstring.
    # Japanese
    "復活",                # ja: revived / back
    "使えるようになっ",    # ja: became usable (again)
    "できるようになっ",    # ja: became possible (again)
    "解消しました",        # ja: has been resolved
    "正常に戻",            # ja: back to normal
    # Spanish
    "restablecido",        # es: restored
    "ya funcionan",        # es: they work now
    "ya anda",             # es: works now
    "ya está funcionando", # es: is working now
    "fue solucionado",     # es: was fixed
    # Portuguese
    "normalizou",          # pt: went back to normal
    "restabelecido",       # pt: restored
    "restaurado",          # pt/es: restored
    "estamos de volta",    # pt: we are back
    "já funciona",         # pt: works now
    "funcionando normalmente", # pt/es: working normally
    # German
    "wieder verfügbar",    # de: available again
    "wieder erreichbar",   # de: reachable again
    "wieder online",       # de: online again
    "läuft wieder",        # de: runs again
    "ist behoben",         # de: is fixed
    # French
    "rétablie",            # fr: restored (f.)
    "fonctionne à nouveau", # fr: works again
    "refonctionne",        # fr: works again
    "est résolue",         # fr: is resolved (la panne est résolue)
    "problème résolu",     # fr: problem resolved
    "c'est revenu",        # fr: it's back
    # Italian
    "ripristinato",        # it: restored (cues.py's "ripristinat" never matches on word boundaries)
    "nuovamente disponibile", # it: available again
    "tornato online",      # it: back online
    "ripreso a funzionare", # it: started working again
    "ora funziona",        # it: works now
    # Korean
    "이제 된다",           # ko: it works now
    "다시 된다",           # ko: it works again
    "해결됐",              # ko: has been resolved
    # Chinese
    "已修复",              # zh: fixed
    "可以用了",            # zh: usable now
    "能访问了",            # zh: accessible now
    # Indonesian
    "sudah normal",        # id: back to normal
    "kembali normal",      # id: back to normal
    "udah bisa",           # id: works now (colloquial)
    "sudah diperbaiki",    # id: has been fixed
    "berfungsi kembali",   # id: functioning again
    "tidak error lagi",    # id: no longer erroring
    # Fourth round (2026-11-26), by language: see the module docstring.
    # English
    "back up now",            # en: back up now
    "resumed working",        # en: resumed working
    "seems to work again",    # en: seems to work again
    "working fine now",       # en: working fine now
    "has been fixed",         # en: has been fixed
    "should be resolved now", # en: should be resolved now
    "slowly coming back",     # en: slowly coming back
    # Japanese
    "直りました",          # ja: fixed (polite)
    "繋がるようになっ",    # ja: became connectable again
    "元に戻った",          # ja: back to how it was
    "解消されました",      # ja: has been resolved (full ending: "解消されていない" is not)
    # Spanish
    "arriba de nuevo",     # es: up again
    "se solucionó",        # es: it got fixed
    "se arregló",          # es: it got fixed
    "vuelve a funcionar",  # es: works again
    "funcionando correctamente", # es: working correctly
    "no se ha caído",      # es: has not gone down (it works)
    # Portuguese
    "no ar novamente",     # pt: back on the air
    "já retornou",         # pt: has come back (bare "retornou" also means an API "returned" an error)
    "restaurada",          # pt: restored (f.)
    "já está funcionando", # pt: is working now
    "problema resolvido",  # pt: problem resolved
    # German
    "wurde behoben",       # de: was fixed
    "scheint beendet",     # de: seems to be over
    "geht wieder",         # de: works again
    # French
    "est de retour",       # fr: is back
    "retour à la normale", # fr: back to normal
    "rentré dans l'ordre", # fr: back in order
    "semble terminée",     # fr: seems over (la panne)
    "remise en marche",    # fr: restart (back in service)
    "sont fonctionnels",   # fr: are functional
    # Italian
    "tornato a funzionare", # it: works again (m.)
    "tornata a funzionare", # it: works again (f.)
    "nuovamente disponibili", # it: available again (pl.)
    "è ripartito",         # it: restarted
    "è stato risolto",     # it: has been resolved
    "regolare funzionamento", # it: normal operation
    "funzionano regolarmente", # it: work normally
    # Korean
    "이제 됐다",           # ko: it works now
    "다시 되네",           # ko: works again
    "해결되었습니다",      # ko: has been resolved (full ending: "해결되었으면" is a wish)
    # Chinese
    "可以访问了",          # zh: accessible now
    # Indonesian
    "normal kembali",      # id: back to normal
    "lancar lagi",         # id: smooth again
    "sudah lancar",        # id: running smoothly now
    "berfungsi dengan baik", # id: working properly
]
PAST = [
    "yesterday", "last week", "last night", "post-mortem", "postmortem", "root cause", "incident report",
    "maintenance", "scheduled",
    "昨日", "先週", "メンテナンス", "昨天", "上周", "维护", "어제", "점검", "ayer", "mantenimiento", "ontem",
    "manutenção", "gestern", "wartung", "hier soir", "ieri", "manutenzione", "kemarin", "pemeliharaan",
    # Third round (2026-11-26), by language: see the module docstring.
    # Japanese
    "メンテ",              # ja: maintenance (short form)
    "きのう",              # ja: yesterday (kana)
    "昨夜",                # ja/zh: last night
    "昨晩",                # ja: last night
    "先日",                # ja: the other day
    # Spanish
    "anoche",              # es: last night
    "anteayer",            # es: the day before yesterday
    "la semana pasada",    # es: last week
    "estuvo caído",        # es: was down (past; beats "caído")
    "estuvo caída",        # es: was down (f.)
    "hubo una caída",      # es: there was an outage
    "mantención",          # es (Chile): maintenance
    # Portuguese
    "anteontem",           # pt: the day before yesterday
    "semana passada",      # pt: last week
    "manutencao",          # pt: maintenance (no accent)
    "ficou fora do ar",    # pt: was off the air (past; beats "fora do ar")
    # German
    "vorgestern",          # de: the day before yesterday
    "letzte woche",        # de: last week
    "letzte nacht",        # de: last night
    "wartungsarbeiten",    # de: maintenance work ("wartung" does not match inside it)
    "war down",            # de: was down
    "war nicht erreichbar", # de: was unreachable (beats "nicht erreichbar")
    # French
    "avant-hier",          # fr: the day before yesterday
    "hier matin",          # fr: yesterday morning
    "semaine dernière",    # fr: last week
    "plus tôt aujourd'hui", # fr: earlier today
    "était en panne",      # fr: was broken down (beats "en panne")
    "subi une panne",      # fr: suffered an outage
    # Italian
    "settimana scorsa",    # it: last week
    "intervento programmato", # it: scheduled intervention
    # Korean
    "그저께",              # ko: the day before yesterday
    "지난주",              # ko: last week
    "어젯밤",              # ko: last night
    # Chinese
    "昨晚",                # zh: last night
    "前天",                # zh: the day before yesterday
    "前几天",              # zh: a few days ago
    # Indonesian
    "kemaren",             # id: yesterday (colloquial)
    "semalam",             # id: last night
    "tadi malam",          # id: last night
    "minggu lalu",         # id: last week
    # Fourth round (2026-11-26), by language: see the module docstring.
    # English
    "was down",               # en: was down
    "were down",              # en: were down
    "had an outage",          # en: had an outage
    "the other day",          # en: the other day
    "earlier today",          # en: earlier today
    "earlier this week",      # en: earlier this week
    "last month",             # en: last month
    "slept through",          # en: slept through (the outage)
    "will be down",           # en: will be down (planned)
    "will be unavailable",    # en: will be unavailable (planned; beats "unavailable")
    "was unavailable",        # en: was unavailable (beats "unavailable")
    "outage report",          # en: outage report
    "during the outage",      # en: during the outage
    # Japanese
    "おととい",            # ja: the day before yesterday (kana)
    "停止予定",            # ja: scheduled stop
    "発生しておりました",  # ja: had occurred (provider notice, resolved)
    # Spanish
    "estuvieron caídos",   # es: were down (pl.)
    "estuvo fuera de servicio", # es: was out of service
    # Portuguese
    "esteve em baixo",     # pt (Portugal): was down
    "esteve fora do ar",   # pt: was off the air (beats "fora do ar")
    "estava fora do ar",   # pt: was off the air (beats "fora do ar")
    "estava indisponível", # pt: was unavailable (beats "indisponível")
    # German
    "vor ein paar tagen",  # de: a few days ago
    "war ausgefallen",     # de: was out (past; beats "ausgefallen")
    # French
    "était indisponible",  # fr: was unavailable (beats "indisponible")
    "était inaccessible",  # fr: was inaccessible (beats "inaccessible")
    "resté inaccessible",  # fr: remained inaccessible (beats "inaccessible")
    "la nuit dernière",    # fr: last night
    "hier après-midi",     # fr: yesterday afternoon
    # Italian
    "ci sono stati problemi", # it: there were problems
    "non saranno disponibili", # it: will not be available (planned)
    # Korean
    "지난달",              # ko: last month
    "있었던 장애",         # ko: the outage that happened (beats "장애")
    "장애가 있었",         # ko: there was an outage (beats "장애")
    # Chinese
    "前不久",              # zh: not long ago
    "早些时候",            # zh: earlier
    # Indonesian
    "sempat down",         # id: was briefly down
    "sempat gangguan",     # id: was briefly disrupted (beats "gangguan")
    "beberapa hari lalu",  # id: a few days ago
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


def lexicon_digest() -> str:
    """A short hash of the lexicon and its rules. A saved model records it: its inputs include these
    tokens, so a model trained with another lexicon would be fed inputs it never learnt.

    >>> len(lexicon_digest())
    12
    """
    rules = {"cues": CUES, "max_per_cue": MAX_PER_CUE, "hashtag": _DOWN_HASHTAG.pattern}
    return hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:12]
