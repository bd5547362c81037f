"""form: a feedback form with a text area or enough text fields and a submit button."""
from __future__ import annotations

from checklists.checks.base import Check, Hit


class FormCheck(Check):
    _TEXT_INPUTS = {"text", "email", "tel", "search", ""}

    def __init__(self, textarea: bool, min_text_fields: int):
        self.textarea = textarea
        self.min_text_fields = min_text_fields

    def run(self, u, v):
        if not u.is_page:
            return None
        for f in u.page.forms:
            if not f.has_submit:
                continue
            has_ta = any(fl.tag == "textarea" for fl in f.fields)
            n_text = sum(1 for fl in f.fields
                         if fl.tag == "textarea" or (fl.tag == "input" and fl.type in self._TEXT_INPUTS))
            ok = has_ta if self.textarea else (has_ta or n_text >= self.min_text_fields)
            if ok:
                names = ", ".join(fl.name or fl.tag for fl in f.fields[:8])
                return [Hit(u.url, "form", f"форма ({f.method.upper()} {f.action or 'на эту же страницу'}): поля {names}"[:200],
                            chrome=v.is_chrome_form(f))]
        return None

    def describe(self):
        return ("форму с полем для текста обращения и кнопкой отправки" if self.textarea
                else f"форму не менее чем с {self.min_text_fields} текстовыми полями и кнопкой отправки")
