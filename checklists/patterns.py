"""Value patterns a checklist can ask for: phone, e-mail, date, ОГРН, ИНН, postal address.

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

# ---- phone ---------------------------------------------------------------------------------
# Candidates: +7/8 followed by a run of digits and separators, or «(3452) 12-34-56».
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
    national = "".join(digits)[-10:]
    if _NOT_PHONE_BEFORE.search(text, max(0, start - 14), start):
        return None
    if not _valid_ru_number(national):
        return None
    value = text[start:pos + 1].strip()
    return PatternMatch(start, pos + 1, value)


def find_phone(text: str) -> PatternMatch | None:
    best: PatternMatch | None = None
    for m in _PHONE_PREFIXED.finditer(text):
        prefix_digits = 1                       # the 7 of +7 or the leading 8
        hit = _phone_in_run(text, m.start(), m.end(), 10 + prefix_digits)
        if hit:
            best = hit
            break
    for m in _PHONE_PAREN.finditer(text, 0, best.start if best else len(text)):
        hit = _phone_in_run(text, m.start(), m.end(), 10)
        if hit:
            return hit
    return best


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
    if "@" not in text and "[at]" not in text and "(at)" not in text:
        return None
    for m in _EMAIL.finditer(text):
        if m.group(1).lower() in _NOT_TLD:
            continue
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
    for m in _DATE_NUM.finditer(text):
        if int(m.group(1)) <= _DAYS_IN_MONTH[int(m.group(2)) - 1]:
            best = PatternMatch(m.start(), m.end(), m.group(0))
            break
    for m in _DATE_WORDS.finditer(text, 0, best.start if best else len(text)):
        if int(m.group(1)) <= _DAYS_IN_MONTH[MONTHS_GENITIVE.index(m.group(2).lower())]:
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


def _validated(rx: re.Pattern, valid: Callable[[str], bool]) -> Finder:
    def find(text: str) -> PatternMatch | None:
        for m in rx.finditer(text):
            if valid(m.group(1)):
                return PatternMatch(m.start(), m.end(), m.group(0))
        return None
    return find


find_ogrn = _validated(_OGRN, ogrn_valid)
find_inn = _validated(_INN, inn_valid)

# ---- postal address ------------------------------------------------------------------------
_STREET = r"(?:ул\.|улица|пр-т|пр-кт|проспект|пер\.|переулок|пл\.|площадь|ш\.|шоссе|б-р|бульвар|наб\.|набережная|мкр\.?|микрорайон|д\.\s*\d|дом\s*\d)"
_ADDRESS = re.compile(
    r"(?<!\d)\d{6}(?!\d),?[^\n]{0,120}?" + _STREET
    + r"|(?:\bг\.|\bгород\b|\bс\.|\bпос\.|\bп\.|\bпгт\.?|\bст-ца)\s*[А-ЯЁ][а-яё\-]+,?\s*" + _STREET,
    re.I)


def find_address(text: str) -> PatternMatch | None:
    m = _ADDRESS.search(text)
    return PatternMatch(m.start(), m.end(), m.group(0)) if m else None


BUILTIN: dict[str, Finder] = {
    "phone": find_phone,
    "email": find_email,
    "date": find_date,
    "ogrn": find_ogrn,
    "inn": find_inn,
    "address": find_address,
}
# Russian labels used in reasons («искали: телефон…»).
LABELS = {
    "phone": "номер телефона",
    "email": "адрес электронной почты",
    "date": "дату",
    "ogrn": "ОГРН",
    "inn": "ИНН",
    "address": "почтовый адрес",
}


def regex_finder(rx: re.Pattern) -> Finder:
    def find(text: str) -> PatternMatch | None:
        m = rx.search(text)
        return PatternMatch(m.start(), m.end(), m.group(0)) if m else None
    return find


def compile_regex(source: str) -> re.Pattern:
    """Checklist regexes are case-insensitive; raises re.error when invalid."""
    return re.compile(source, re.I)
