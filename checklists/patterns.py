"""Value patterns a checklist can ask for: phone, e-mail, date, ОГРН, ИНН, postal address, person, people.

Each finder takes a text and returns the first *valid* match (start, end, value) or None. A cheap
regular expression finds candidates; a validator rejects look-alikes (phonenumbers for phones,
check digits for ОГРН/ИНН, calendar ranges for dates). Checklists may add named regular
expressions in `settings.patterns`; those are plain regex finders.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote

import phonenumbers


@dataclass(frozen=True)
class PatternMatch:
    start: int
    end: int
    value: str


Finder = Callable[[str], "PatternMatch | None"]

_SEP = r"[\s\u00a0\-\u2010-\u2015()]"

# ---- shared helpers ------------------------------------------------------------------------
_LOWER: dict[int, tuple[str, str]] = {}


def lower_of(text: str) -> str:
    """Lowercase copy with the same length (positions stay valid); the last few are cached, since
    several finders look at the same page text."""
    hit = _LOWER.get(id(text))
    if hit is not None and hit[0] is text:
        return hit[1]
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower()[:1] or c for c in text)
    if len(_LOWER) >= 16:
        _LOWER.clear()
    _LOWER[id(text)] = (text, low)
    return low


def _positions(low: str, literals) -> list[int]:
    """Start offsets of every occurrence of any of `literals` in `low` (str.find is far faster
    than a regular expression that has to try every position)."""
    out: list[int] = []
    for lit in literals:
        i = low.find(lit)
        while i != -1:
            out.append(i)
            i = low.find(lit, i + 1)
    out.sort()
    return out


# ---- phone ---------------------------------------------------------------------------------
# Candidates start at "+7", "8" or "(": a run of digits and separators; the first 11 (10 after
# a bracketed code) digits must not be glued to a further digit and must be a valid RU number.
_PHONE_PREFIXED = re.compile(r"(?<![\w+])(?:\+\s?7|8)(?=[\s\u00a0\-\u2010-\u2015(]*\d)[\d\s\u00a0\-\u2010-\u2015()]{9,24}")
_PHONE_PAREN = re.compile(r"(?<![\w+])\(\d{3,5}\)[\d\s\u00a0\-\u2010-\u2015]{5,14}")
# Identifiers whose digits must never be read as a phone number.
_NOT_PHONE_BEFORE = re.compile(r"(?:инн|огрн|огрнип|кпп|бик|окпо|октмо|окато|оквэд|р/с|л/с|к/с|сч[её]т|№)\W{0,4}$", re.I)
_phone_valid_cache: dict[str, bool] = {}


def _valid_ru_number(national10: str) -> bool:
    ok = _phone_valid_cache.get(national10)
    if ok is None:
        try:
            ok = phonenumbers.is_valid_number(phonenumbers.parse("+7" + national10, None))
        except phonenumbers.NumberParseException:
            ok = False
        if len(_phone_valid_cache) > 50_000:
            _phone_valid_cache.clear()
        _phone_valid_cache[national10] = ok
    return ok


def _phone_in_run(text: str, start: int, end: int, need: int) -> PatternMatch | None:
    """Take the first `need` digits of the run text[start:end]; they must not be glued to a
    further digit, and must form a valid Russian number."""
    digits: list[str] = []
    pos = start
    for i in range(start, end):
        c = text[i]
        if c.isdigit():
            digits.append(c)
            pos = i
            if len(digits) == need:
                break
    if len(digits) < need:
        return None
    if pos + 1 < len(text) and text[pos + 1].isdigit():
        return None
    if _NOT_PHONE_BEFORE.search(text, max(0, start - 14), start):
        return None
    if not _valid_ru_number("".join(digits)[-10:]):
        return None
    return PatternMatch(start, pos + 1, text[start:pos + 1].strip())


def find_phone(text: str) -> PatternMatch | None:
    for i in _positions(text, ("+", "8", "(")):
        c = text[i]
        if c == "(":
            m = _PHONE_PAREN.match(text, i)
            need = 10
        else:
            m = _PHONE_PREFIXED.match(text, i)
            need = 11
        if m:
            hit = _phone_in_run(text, m.start(), m.end(), need)
            if hit:
                return hit
    return None


def phone_from_href(href: str) -> str | None:
    """The number of a tel: link when it is a valid Russian (or any valid) number."""
    if not href.lower().startswith("tel:"):
        return None
    raw = unquote(href[4:]).strip()
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits[0] in "78":
        return raw if _valid_ru_number(digits[1:]) else None
    if len(digits) == 10:
        return raw if _valid_ru_number(digits) else None
    try:
        return raw if phonenumbers.is_valid_number(phonenumbers.parse(raw, "RU")) else None
    except phonenumbers.NumberParseException:
        return None


# ---- e-mail --------------------------------------------------------------------------------
_EMAIL = re.compile(
    r"(?<![\w.+-])[a-z0-9][a-z0-9._%+\-]*\s?(?:@|\[at\]|\(at\))\s?"
    r"(?:[a-zа-я0-9](?:[a-zа-я0-9\-]*[a-zа-я0-9])?\.)+([a-z]{2,24}|рф|xn--[a-z0-9\-]+)(?![\w])",
    re.I)
_NOT_TLD = {"png", "jpg", "jpeg", "gif", "svg", "webp", "css", "js", "php", "html", "htm"}


def find_email(text: str) -> PatternMatch | None:
    for i in _positions(text, ("@", "[at]", "(at)")):
        for m in _EMAIL.finditer(text, max(0, i - 64), i + 260):
            if m.start() <= i < m.end() and m.group(1).lower() not in _NOT_TLD:
                return PatternMatch(m.start(), m.end(), m.group(0))
    return None


def email_from_href(href: str) -> str | None:
    """Address of a mailto: link, or of a Cloudflare-protected e-mail link."""
    low = href.lower()
    if low.startswith("mailto:"):
        addr = unquote(href[7:]).split("?", 1)[0].strip()
        m = _EMAIL.search(addr)
        return m.group(0) if m else None
    i = low.find("/cdn-cgi/l/email-protection#")
    if i != -1:
        enc = href[i + len("/cdn-cgi/l/email-protection#"):]
        try:
            key = int(enc[:2], 16)
            addr = "".join(chr(int(enc[j:j + 2], 16) ^ key) for j in range(2, len(enc), 2))
        except ValueError:
            return None
        m = _EMAIL.search(addr)
        return m.group(0) if m else None
    return None


# ---- dates ---------------------------------------------------------------------------------
MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                   "сентября", "октября", "ноября", "декабря")
_DATE_NUM = re.compile(r"(?<!\d)(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.((?:19|20)\d\d)(?!\d)")
_DATE_WORDS = re.compile(r"(?<!\d)(0?[1-9]|[12]\d|3[01])\s+(" + "|".join(MONTHS_GENITIVE) +
                         r")\s+((?:19|20)\d\d)(?!\d)(?:\s*(?:г\.|года?\b))?", re.I)
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def find_date(text: str) -> PatternMatch | None:
    best: PatternMatch | None = None
    for i in _positions(text, (".",)):
        if i + 1 < len(text) and text[i + 1].isdigit() and i > 0 and text[i - 1].isdigit():
            m = _DATE_NUM.search(text, max(0, i - 2), i + 12)
            if m and m.start() < i and int(m.group(1)) <= _DAYS_IN_MONTH[int(m.group(2)) - 1]:
                best = PatternMatch(m.start(), m.end(), m.group(0))
                break
    low = lower_of(text)
    for i in _positions(low, MONTHS_GENITIVE):
        if best is not None and i > best.start:
            break
        m = _DATE_WORDS.search(text, max(0, i - 4), i + 30)
        if m and int(m.group(1)) <= _DAYS_IN_MONTH[MONTHS_GENITIVE.index(m.group(2).lower())]:
            return PatternMatch(m.start(), m.end(), m.group(0))
    return best


# ---- ОГРН / ИНН ----------------------------------------------------------------------------
_OGRN = re.compile(r"огрн(?:ип)?\s*[:№]?\s*(\d{13}|\d{15})(?!\d)", re.I)
_INN = re.compile(r"инн(?:\s*/\s*кпп)?\s*[:№]?\s*(\d{12}|\d{10})(?!\d)", re.I)


def ogrn_valid(num: str) -> bool:
    if len(num) == 13:
        return int(num[:12]) % 11 % 10 == int(num[12])
    if len(num) == 15:
        return int(num[:14]) % 13 % 10 == int(num[14])
    return False


def _inn_check(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_valid(num: str) -> bool:
    if len(num) == 10:
        return _inn_check(num, (2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(num[9])
    if len(num) == 12:
        return (_inn_check(num, (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(num[10])
                and _inn_check(num, (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)) == int(num[11]))
    return False


def _validated(rx: re.Pattern, word: str, valid: Callable[[str], bool]) -> Finder:
    def find(text: str) -> PatternMatch | None:
        for i in _positions(lower_of(text), (word,)):
            m = rx.match(text, i)
            if m and valid(m.group(1)):
                return PatternMatch(m.start(), m.end(), m.group(0))
        return None
    return find


find_ogrn = _validated(_OGRN, "огрн", ogrn_valid)
find_inn = _validated(_INN, "инн", inn_valid)

# ---- postal address ------------------------------------------------------------------------
# A street marker («ул.», «проспект», «мкр»…) preceded within 120 characters by a six-digit
# postcode, or directly by a settlement («г. Пермь, ул. …»).
_STREET_MARKERS = ("ул.", "улица", "пр-т", "пр-кт", "проспект", "пер.", "переулок", "пл.", "площадь",
                   "шоссе", "б-р", "бульвар", "наб.", "набережная", "мкр", "микрорайон")
_POSTCODE = re.compile(r"(?<!\d)\d{6}(?!\d)")
_SETTLEMENT_BEFORE = re.compile(r"(?:\bг\.|\bгород\b|\bс\.|\bпос\.|\bп\.|\bпгт\.?|\bст-ца)\s*[А-ЯЁ][а-яё\-]+,?\s*$")


def find_address(text: str) -> PatternMatch | None:
    low = lower_of(text)
    for i in _positions(low, _STREET_MARKERS):
        if i > 0 and low[i - 1].isalpha():
            continue                       # inside a word («капитул.»)
        window_start = max(0, i - 120)
        m = _POSTCODE.search(text, window_start, i)
        if m is None:
            m = _SETTLEMENT_BEFORE.search(text, max(0, i - 40), i)
        if m is not None:
            end = min(len(text), i + 40)
            cut = text.find(",", i, end)
            return PatternMatch(m.start(), cut if cut != -1 else end, text[m.start():cut if cut != -1 else end])
    return None


# ---- people ---------------------------------------------------------------------------------
# A person as sites name them: «Смирнова Ольга Викторовна» (with a patronymic), «Смирнова О. В.» or
# «О. В. Смирнова». Case-sensitive: names are capitalised, common words are not.
_NAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_PERSON = re.compile(
    rf"(?<![А-Яа-яЁё]){_NAME}\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+(?:вич|вна|чна|шна|оглы|кызы)(?![а-яё])"
    rf"|(?<![А-Яа-яЁё]){_NAME}\s+[А-ЯЁ]\.\s?[А-ЯЁ]\.(?!\w)"
    rf"|(?<![А-Яа-яЁё.])[А-ЯЁ]\.\s?[А-ЯЁ]\.\s?{_NAME}(?![а-яё])")
PEOPLE_MIN = 3             # a list of staff names at least this many different people


def find_person(text: str) -> PatternMatch | None:
    m = _PERSON.search(text)
    return PatternMatch(m.start(), m.end(), m.group(0)) if m else None


def find_people(text: str) -> PatternMatch | None:
    """A list of people: at least PEOPLE_MIN different names in the text (the match spans them)."""
    names: set[str] = set()
    first = None
    for m in _PERSON.finditer(text):
        first = first if first is not None else m.start()
        names.add(" ".join(m.group(0).split()))
        if len(names) >= PEOPLE_MIN:
            return PatternMatch(first, m.end(), text[first:m.end()])
    return None


BUILTIN: dict[str, Finder] = {
    "phone": find_phone,
    "email": find_email,
    "date": find_date,
    "ogrn": find_ogrn,
    "inn": find_inn,
    "address": find_address,
    "person": find_person,
    "people": find_people,
}
# Russian labels used in reasons («искали: телефон…»).
LABELS = {
    "phone": "номер телефона",
    "email": "адрес электронной почты",
    "date": "дату",
    "ogrn": "ОГРН",
    "inn": "ИНН",
    "address": "почтовый адрес",
    "person": "фамилию, имя и отчество (или инициалы)",
    "people": f"список людей (не менее {PEOPLE_MIN} фамилий с именами)",
}


def _literal_prefixes(seq) -> tuple[set[str], bool]:
    """Strings one of which every match must start with (after leading zero-width assertions),
    and whether the whole sequence was consumed. Used to jump between occurrences with str.find."""
    from re import _constants as c   # noqa: PLC0415 (CPython's own parser constants)
    acc = {""}
    for op, av in seq:
        if op in (c.ASSERT, c.ASSERT_NOT, c.AT) and acc == {""}:
            continue
        if op is c.LITERAL:
            acc = {a + chr(av).lower() for a in acc}
            continue
        if op is c.SUBPATTERN or op is c.BRANCH:
            parts = [_literal_prefixes(av[-1])] if op is c.SUBPATTERN else [_literal_prefixes(b) for b in av[1]]
            subs = set().union(*(p[0] for p in parts))
            if not subs or "" in subs:
                return acc, False
            acc = {a + s for a in acc for s in subs}
            if len(acc) > 64 or not all(p[1] for p in parts):
                return acc, False
            continue
        return acc, False
    return acc, True


def regex_finder(rx: re.Pattern) -> Finder:
    """First match of a checklist regex. When every match must start with one of a few literal
    strings, only their occurrences are tried (much faster on long pages)."""
    try:
        from re import _parser
        prefixes, _ = _literal_prefixes(_parser.parse(rx.pattern, rx.flags).data)
    except Exception:                      # parser internals changed: fall back to plain search
        prefixes = set()
    if prefixes and all(len(p) >= 2 for p in prefixes) and len(prefixes) <= 64:
        literals = tuple(sorted(prefixes))

        def find(text: str) -> PatternMatch | None:
            for i in _positions(lower_of(text), literals):
                m = rx.match(text, i)
                if m:
                    return PatternMatch(m.start(), m.end(), m.group(0))
            return None
        find.literals = literals           # for tests and diagnostics
        return find

    def search(text: str) -> PatternMatch | None:
        m = rx.search(text)
        return PatternMatch(m.start(), m.end(), m.group(0)) if m else None
    return search


def compile_regex(source: str) -> re.Pattern:
    """Checklist regexes are case-insensitive; raises re.error when invalid."""
    return re.compile(source, re.I)
