"""Russian labels shown in reports, keyed by the stable machine values of report.json.

report.json keeps machine keys (`present`, `partial`, `max_pages`) next to their Russian text, so
a later stage can read the keys and a person can read the text. Every label lives here, in one
place, so the JSON, the HTML and the terminal summary say the same thing.
"""
from __future__ import annotations

from checklists.model.results import ABSENT, NOT_APPLICABLE, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK

STATUSES = (PRESENT, ABSENT, UNKNOWN)

STATUS_TEXT = {
    PRESENT: "размещено",
    ABSENT: "не найдено",
    UNKNOWN: "не удалось проверить",
    NOT_APPLICABLE: "не требуется",        # a conditional item not found: counts for nothing
}

# The second verdict of an education subsection (checklists/sveden.py).
MARKUP_TEXT = {"complete": "полная", "partial": "частичная", "none": "нет разметки"}
SVEDEN_TITLE = "Раздел «Сведения об образовательной организации»: размещение и микроразметка"
SVEDEN_HEADER = ["Пункт", "Размещено", "Микроразметка", "Добавить разметку (не хватает itemprop)", "Где проверено"]


def markup_example(itemprop: str) -> str:
    """The HTML to add for one missing itemprop: a link for documents (…DocLink, localAct…, addRef), else an
    element around the value («отсутствует» when there is none)."""
    if itemprop.endswith("DocLink") or itemprop.startswith("localAct"):
        return f'<a itemprop="{itemprop}" href="/sveden/…/файл.pdf">…</a>'
    return f'<div itemprop="{itemprop}">… или «отсутствует»</div>'


def sveden_rows(items: list[dict]) -> list[dict]:
    """One row per item with a markup verdict (education subsections and documents), in checklist order."""
    return [{"name": it["name"], "status_text": it["status_text"], "status": it["status"],
             "markup": it["markup"]["level"], "markup_text": it["markup"]["level_text"],
             "missing": ", ".join(it["markup"]["missing"]), "evidence": it["markup"]["evidence"],
             "examples": [markup_example(n) for n in it["markup"]["missing"]], "note": it["markup"].get("note", "")}
            for it in items if it.get("markup")]

# Crawl status: did the crawl cover the site well enough for `absent` to mean "not published"?
COMPLETE, PARTIAL, UNREACHABLE = "complete", "partial", "unreachable"

STOP_REASON_TEXT = {
    "finished": "обход завершён",
    "max_pages": "достигнут лимит страниц",
    "time_limit": "истекло отведённое на обход время",
    "interrupted": "обход прерван",
    "rate_limited": "сайт ограничил частоту запросов (429/503 с Retry-After), обход остановлен",
}

INDICATOR_TITLES = {
    "1.1": "Показатель 1.1. Информация о деятельности организации на официальном сайте",
    "1.2": "Показатель 1.2. Дистанционные способы обратной связи и взаимодействия",
    "3.2": "Показатель 3.2. Условия доступности услуг для инвалидов",
    "extra": "Дополнительные проверки (в баллы НОК не входят)",
}
INDICATOR_SHORT = {
    "1.1": "1.1 — информация на сайте",
    "1.2": "1.2 — обратная связь",
    "3.2": "3.2 — доступность для инвалидов",
    "extra": "дополнительные проверки",
}
INDICATOR_NOTES = {
    "1.1": "Материалы, размещение которых на сайте поставщика социальных услуг обязательно "
           "(442-ФЗ ст. 13; Приказ Минтруда России № 886н; ПП РФ № 1239).",
    "1.2": "Наличие способа связи определяется по сохранённой копии сайта, его работоспособность — "
           "контрольными проверками (раздел «Контрольные проверки каналов»). Контрольные звонки и письма "
           "программа не выполняет: их результаты оператор вносит вручную.",
    "3.2": "Из условий доступности для инвалидов на сайте можно проверить лишь часть: "
           "альтернативную версию сайта для инвалидов по зрению и заявленные на сайте услуги.",
    "extra": "Сведения для организации: в расчёт показателей НОК не входят.",
}

EVIDENCE_STRENGTH_TEXT = {
    STRONG: "подтверждает",
    WEAK: "упоминание, не размещение",
    REJECTED: "не засчитано",
}

CONFIDENCE_TEXT = {
    "C": "требование подтверждено по тексту нормативного акта",
    "P": "требование подтверждено косвенно (практика операторов НОК)",
    "U": "требование не сверено с официальным текстом нормативного акта",
}
UNCONFIRMED_MARK = "не подтверждено"

# Does a channel (indicator 1.2) or the version for the visually impaired (3.2) work? `works` of an
# item is true / false / null; the control stage (crawler/control) establishes it.
WORKS_NOT_CHECKED = "работоспособность не проверялась (проверка без браузера)"
WORKS_NOT_FOUND = "не проверялось: канал не найден на сайте"
WORKS_NOT_FOUND_ALT_VERSION = "не проверялось: версия для слабовидящих не найдена на сайте"
WORKS_NOT_ESTABLISHED = "не проверялось: наличие не установлено (см. причину)"
WORKS_NO_RESULT = "не проверялось: контрольная проверка для этого пункта не выполнялась"
WORKS_BADGE = {True: "работает", False: "не работает", None: "не проверено"}

# How the control stage established `works` (checklists/model/control.py: BROWSER, VALIDATED, HTTP).
CONTROL_METHOD_TEXT = {
    "browser": "проверено в браузере (Chromium)",
    "validated": "проверены публикация и корректность номера или адреса; звонок и письмо не выполнялись",
    "http": "ссылка проверена одним HTTP-запросом",
}
WORKS_BROWSER_TRUE = "работает (проверено в браузере)"
WORKS_HTTP_TRUE = "ссылка открывается (один запрос)"
WORKS_VALIDATED_TRUE = {
    "ch_phone": "опубликован, номер корректен; контрольный звонок не выполнялся",
    "ch_email": "опубликован, адрес корректен; контрольное письмо не отправлялось",
}
WORKS_VALIDATED_TRUE_OTHER = "опубликован, номер/адрес корректен; контрольный звонок/письмо не выполнялись"

# What the control checks never do: said in the report every time.
FORMS_NOT_SUBMITTED = ("Формы не отправлялись (пробный прогон без отправки): проверено, что форма отображается, "
                       "принимает данные и её кнопка подключена к адресу или скрипту отправки; "
                       "адрес отправки не проверялся без отправки")
FORMS_SUBMITTED = "Формы отправлялись (запуск с --submit-forms): "
CALLS_NOT_MADE = "Контрольные звонки и письма не выполнялись — оператор вносит их результаты вручную"
CONTROLS_NOT_RUN = ("Контрольные проверки не выполнялись (проверка без браузера): работоспособность каналов "
                    "обратной связи и версии для слабовидящих не проверялась")

# Preview of formula (1.2) of Приказ Минтруда России № 344н: Пдист = Тдист × Сдист, Тдист = 30 points
# per working channel, at most 100. A preview only: real scores come later.
CHANNEL_POINTS = 30
MAX_POINTS = 100
DIST_FORMULA = "Пдист = 30 × Сдист (не более 100)"
DIST_PREVIEW_LABEL = "предварительно: учтены только работающие каналы, найденные на сайте"
DIST_NOT_COMPUTED = "Пдист не рассчитан: работоспособность каналов не проверялась (проверка без браузера)"
DIST_EXPLANATION = (
    "Сдист — число дистанционных способов взаимодействия, которые найдены на сайте и работают "
    "(показатель 1.2 Единого порядка расчёта, Приказ Минтруда России от 31.05.2018 № 344н): "
    "30 баллов за каждый способ, при четырёх и более — 100. Это предварительная оценка, а не балл НОК: "
    "телефон и электронная почта учитываются по корректности опубликованных номера и адреса, "
    "без контрольного звонка и письма."
)

# Supplementary accessibility checks (axe-core, 200 % zoom): never NOK points.
IMPACT_TEXT = {"critical": "критическое", "serious": "серьёзное", "moderate": "умеренное", "minor": "незначительное"}
IMPACT_PLURAL = {"critical": "критических", "serious": "серьёзных", "moderate": "умеренных",
                 "minor": "незначительных"}
A11Y_VARIANT_TEXT = {"normal": "основная версия", "alt_version": "версия для слабовидящих"}
A11Y_NOT_SCORED = "Проверка дополнительная, не влияет на баллы НОК"
A11Y_NOT_RUN = "Дополнительная проверка доступности не проводилась"

# Formula (1.1) of the Единый порядок расчёта показателей (Приказ Минтруда России от 31.05.2018
# № 344н): Пинф = 0,5 × (Истенд / Инорм_стенд + Исайт / Инорм_сайт) × 100. The website gives
# only the second ratio; this stage reports that ratio and no points.
SITE_SHARE_FORMULA = "Исайт / Инорм_сайт"
SITE_SHARE_EXPLANATION = (
    "Исайт — число обязательных материалов показателя 1.1, найденных на сайте; "
    "Инорм_сайт — число материалов, размещение которых на сайте обязательно. "
    "Это доля для формулы (1.1) Единого порядка расчёта показателей "
    "(Приказ Минтруда России от 31.05.2018 № 344н): "
    "Пинф = 0,5 × (Истенд / Инорм_стенд + Исайт / Инорм_сайт) × 100. "
    "Сайтовая часть даёт не более 50 баллов показателя; стендовую часть вносит оператор (раздел «Баллы НОК»)."
)

# Official scores (checklists/scoring.py, Приказ Минтруда России № 344н) and the «what to fix first» list.
SCORES_TITLE = "Баллы НОК по Единому порядку расчёта (Приказ Минтруда России № 344н)"
SCORES_INTRO = ("Показатели, которые нельзя рассчитать по сайту (стенды, опросы, условия в помещениях), "
                "берутся из данных оператора НОК. Если данных нет, балл не рассчитывается и указано, "
                "какие данные нужны: пропуск не заменяется ни нулём, ни максимумом.")
SCORE_NOT_COMPUTED = "не рассчитан"
OPERATOR_DATA_NONE = ("Данные оператора не переданы: баллы за стенды, опросы и условия в помещениях не рассчитаны, "
                      "итоговая оценка НОК не рассчитана.")
OPERATOR_DATA_FROM = "Данные оператора: "
BAND_LABEL = "градация"
FIX_FIRST_TITLE = "Что исправить в первую очередь"
FIX_FIRST_INTRO = ("Пункты, которые не найдены на сайте или не работают, по убыванию прибавки к итоговой оценке. "
                   "Прибавка показана в баллах показателя, критерия и итоговой оценки.")
FIX_FIRST_MARKUP = ("После них — подразделы, размещённые без полной микроразметки: баллов НОК она не прибавит, но её "
                    "читает автоматический мониторинг Рособрнадзора.")
FIX_FIRST_MARKUP_GAIN = "микроразметка, баллов НОК не прибавит"
FIX_FIRST_NONE = "Всё, что влияет на баллы и проверяется по сайту, размещено и работает."
FIX_FIRST_UNREACHABLE = "Сайт не открылся: сначала восстановите его работу, затем повторите проверку."
FOOTER_SCORED = "Баллы НОК рассчитаны по методике «{methodology}» с учётом данных оператора."
FOOTER_NOT_SCORED = "Итоговая оценка НОК в нём не рассчитана: для неё нужны данные оператора."
TERMINAL_FIX_FIRST = 5

# One cell of the batch summary's organisation × item table (summary.html, CSV, XLSX).
STATUS_WORD = {PRESENT: "есть", ABSENT: "нет", UNKNOWN: "не проверено", NOT_APPLICABLE: "не требуется"}
WORKS_WORD = {True: "работает", False: "не работает"}
