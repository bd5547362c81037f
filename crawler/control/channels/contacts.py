"""Phone numbers and e-mail addresses, checked without a browser: collected from the item's evidence pages,
phone numbers validated by libphonenumber, e-mail addresses by email-validator (MX only with --check-mx)."""
from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote

import phonenumbers
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email

from checklists.patterns import find_email, find_phone
from crawler.control.scenario import Step, Verdict, call_step
from crawler.control.context import RunContext


MAX_VALUES = 10          # phone numbers / addresses listed in a result


# ---- phone and e-mail (no browser) ---------------------------------------------------------------------
def _evidence_pages(ctx: RunContext) -> list:
    finding = ctx.finding
    urls = [e.url for e in finding.evidence] if finding is not None else []
    pages = [p for p in (ctx.site.page(u) for u in urls) if p is not None]
    return pages


def _all_matches(text: str, find) -> list[str]:
    out, pos = [], 0
    while pos < len(text) and len(out) < 50:
        m = find(text[pos:])
        if m is None:
            break
        out.append(m.value)
        pos += m.end
    return out


def collect_phones(ctx: RunContext) -> list[str]:
    raw: list[str] = []
    for p in ctx.site.crawl.pages:
        for link in p.links:
            if link.url.lower().startswith("tel:"):
                raw.append(unquote(link.url[4:]).strip())
    for p in _evidence_pages(ctx):
        raw.extend(_all_matches(p.text, find_phone))
    return list(dict.fromkeys(r for r in raw if r))


def collect_emails(ctx: RunContext) -> list[str]:
    raw: list[str] = []
    for p in ctx.site.crawl.pages:
        for link in p.links:
            if link.url.lower().startswith("mailto:"):
                raw.append(unquote(link.url[7:]).split("?", 1)[0].strip())
    for p in _evidence_pages(ctx):
        raw.extend(m.replace("[at]", "@").replace("(at)", "@").replace(" ", "") for m in _all_matches(p.text, find_email))
    return list(dict.fromkeys(r for r in raw if r))


def normalise_phone(raw: str) -> str | None:
    try:
        n = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def _pretty_phone(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@call_step("validate_phones")
async def validate_phones(ctx: RunContext, step: Step) -> None:
    values = collect_phones(ctx)
    valid, invalid = [], []
    for v in values:
        n = normalise_phone(v)
        if n:
            if n not in valid:
                valid.append(n)
        else:
            invalid.append(v)
    ctx.details.update(valid=valid[:MAX_VALUES], invalid=invalid[:MAX_VALUES], call_made=False)
    ctx.log(f"найдено номеров: {len(values)}; корректных: {len(valid)}; проверка — библиотека phonenumbers (регион RU)")
    if invalid:
        ctx.log("некорректные номера: " + ", ".join(invalid[:MAX_VALUES]))
    shown = ", ".join(_pretty_phone(v) for v in valid[:3]) + (" и др." if len(valid) > 3 else "")
    if not valid:
        raise Verdict(False, "опубликованные номера телефона некорректны: " + ", ".join(invalid[:3])
                      if invalid else "номер телефона не удалось извлечь из текста сайта")
    ctx.success = (f"{'опубликован и проверен' if len(valid) == 1 else 'опубликованы и проверены'} на корректность: "
                   f"{shown}; контрольный звонок не выполнялся — оператор может внести результат вручную")


@call_step("validate_emails")
async def validate_emails(ctx: RunContext, step: Step) -> None:
    """Syntax by email-validator; the domain's MX record only with ControlOptions.check_mx (never touches DNS
    otherwise)."""
    values = collect_emails(ctx)
    check_mx = bool(ctx.options.check_mx)
    valid, invalid = [], []
    for v in values:
        try:
            if check_mx:
                r = await asyncio.to_thread(validate_email, v, check_deliverability=True,
                                            timeout=max(1, int(ctx.options.check_timeout / 2)))
            else:
                r = validate_email(v, check_deliverability=False)
            if r.normalized not in valid:
                valid.append(r.normalized)
        except EmailUndeliverableError as exc:
            invalid.append(f"{v} (домен не принимает почту: {str(exc)[:80]})")
        except EmailNotValidError:
            invalid.append(v)
    ctx.details.update(valid=valid[:MAX_VALUES], invalid=invalid[:MAX_VALUES], mx_checked=check_mx, letter_sent=False)
    ctx.log(f"найдено адресов: {len(values)}; корректных: {len(valid)}; проверка — библиотека email-validator"
            + (", записи MX доменов проверены" if check_mx else ", без обращения к DNS"))
    if invalid:
        ctx.log("некорректные адреса: " + ", ".join(invalid[:MAX_VALUES]))
    if not valid:
        raise Verdict(False, "опубликованные адреса электронной почты некорректны: " + ", ".join(invalid[:3])
                      if invalid else "адрес электронной почты не удалось извлечь из текста сайта")
    shown = ", ".join(valid[:3]) + (" и др." if len(valid) > 3 else "")
    mx = "; домен принимает почту (есть MX-запись)" if check_mx else ""
    ctx.success = (f"{'опубликован и проверен' if len(valid) == 1 else 'опубликованы и проверены'} на корректность: "
                   f"{shown}{mx}; контрольное письмо не отправлялось — оператор может внести результат вручную")
