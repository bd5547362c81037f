"""Russian labels shown in reports, keyed by the stable machine values of report.json.

report.json keeps machine keys (`present`, `partial`, `max_pages`) next to their Russian text, so
a later stage can read the keys and a person can read the text. Every label lives here, in one
place, so the JSON, the HTML and the terminal summary say the same thing.
"""
from __future__ import annotations

from checklists.results import ABSENT, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK

STATUSES = (PRESENT, ABSENT, UNKNOWN)

STATUS_TEXT = {
    PRESENT: "размещено",
    ABSENT: "не найдено",
    UNKNOWN: "не удалось проверить",
}

# Crawl status: did the crawl cover the site well enough for `absent` to mean "not published"?
COMPLETE, PARTIAL, UNREACHABLE = "complete", "partial", "unreachable"

STOP_REASON_TEXT = {
    "finished": "обход завершён",
    "max_pages": "достигнут лимит страниц",
    "time_limit": "истекло отведённое на обход время",
    "interrupted": "обход прерван",
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
    "1.2": "На этом этапе проверяется только, что способ связи опубликован на сайте. "
           "Работает ли он (отвечает ли телефон, принимает ли форма обращение), проверяется отдельно.",
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

WORKS_NOT_CHECKED = "работоспособность не проверялась"

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
    "Баллы НОК в этом отчёте не рассчитываются: для них нужны и сведения с информационных стендов."
)
