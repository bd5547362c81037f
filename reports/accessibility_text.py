"""The Russian text of the supplementary accessibility results (axe-core, 200 % zoom): rule names and the
2–5 summary lines of the report. The browser stage (crawler/control/accessibility.py) measures; this writes."""
from __future__ import annotations

from checklists.model.control import IMPACTS, AccessibilityResult
from reports import labels
from reports.axe_ru import AXE_RU_VERSION, HELP_RU
from reports.russian_format import capitalized

# Short noun phrases for the report ("изображения без альтернативного текста: 5 эл."); other rules
# fall back to axe's Russian help text.
PROBLEM_RU = {
    "image-alt": "изображения без альтернативного текста",
    "input-image-alt": "графические кнопки без альтернативного текста",
    "area-alt": "области карт-изображений без альтернативного текста",
    "role-img-alt": "элементы role=\"img\" без альтернативного текста",
    "svg-img-alt": "SVG-изображения без альтернативного текста",
    "object-alt": "элементы <object> без альтернативного текста",
    "color-contrast": "текст с недостаточным контрастом",
    "color-contrast-enhanced": "текст с контрастом ниже усиленного критерия",
    "link-name": "ссылки без различимого текста",
    "button-name": "кнопки без различимого текста",
    "input-button-name": "кнопки ввода без различимого текста",
    "label": "поля формы без подписи",
    "select-name": "выпадающие списки без подписи",
    "form-field-multiple-labels": "поля формы с несколькими подписями",
    "label-title-only": "поля формы без видимой подписи",
    "autocomplete-valid": "поля с неверным атрибутом autocomplete",
    "html-has-lang": "не указан язык страницы в атрибуте lang",
    "html-lang-valid": "неверный язык страницы в атрибуте lang",
    "valid-lang": "неверные значения атрибута lang",
    "document-title": "нет заголовка страницы в <title>",
    "heading-order": "нарушен порядок уровней заголовков",
    "empty-heading": "пустые заголовки",
    "page-has-heading-one": "нет заголовка первого уровня h1",
    "region": "содержимое вне смысловых областей страницы",
    "landmark-one-main": "нет основной области страницы main",
    "landmark-unique": "неразличимые смысловые области",
    "bypass": "нет способа пропустить повторяющиеся блоки",
    "frame-title": "фреймы без названия",
    "list": "неправильно оформленные списки",
    "listitem": "элементы списка вне списка",
    "definition-list": "неправильно оформленные списки определений",
    "dlitem": "элементы <dt>/<dd> вне списка определений",
    "duplicate-id": "повторяющиеся идентификаторы id",
    "duplicate-id-active": "повторяющиеся id у активных элементов",
    "duplicate-id-aria": "повторяющиеся id, используемые в ARIA и подписях",
    "meta-viewport": "запрещено масштабирование страницы",
    "meta-viewport-large": "ограничено масштабирование страницы",
    "meta-refresh": "автоматическое обновление страницы",
    "tabindex": "tabindex больше нуля",
    "scrollable-region-focusable": "прокручиваемые области, недоступные с клавиатуры",
    "nested-interactive": "вложенные интерактивные элементы",
    "target-size": "слишком мелкие элементы управления",
    "th-has-data-cells": "заголовки таблиц без ячеек данных",
    "td-headers-attr": "неверные ссылки на заголовки в ячейках таблиц",
    "td-has-header": "ячейки больших таблиц без заголовков",
    "empty-table-header": "пустые заголовки таблиц",
    "link-in-text-block": "ссылки в тексте различимы только по цвету",
    "aria-allowed-attr": "недопустимые ARIA-атрибуты",
    "aria-allowed-role": "неподходящие ARIA-роли",
    "aria-hidden-focus": "скрытые через aria-hidden элементы доступны для фокуса",
    "aria-hidden-body": "aria-hidden на <body>",
    "aria-required-attr": "нет обязательных ARIA-атрибутов",
    "aria-required-children": "нет обязательных дочерних ARIA-ролей",
    "aria-required-parent": "нет обязательной родительской ARIA-роли",
    "aria-roles": "недопустимые ARIA-роли",
    "aria-valid-attr": "неизвестные ARIA-атрибуты",
    "aria-valid-attr-value": "неверные значения ARIA-атрибутов",
    "aria-command-name": "ARIA-кнопки и ссылки без имени",
    "aria-input-field-name": "ARIA-поля ввода без имени",
    "aria-toggle-field-name": "ARIA-переключатели без имени",
    "aria-dialog-name": "диалоговые окна без имени",
    "aria-prohibited-attr": "запрещённые ARIA-атрибуты",
    "aria-deprecated-role": "устаревшие ARIA-роли",
    "marquee": "бегущая строка <marquee>",
    "blink": "мигающий текст <blink>",
    "no-autoplay-audio": "автоматически воспроизводимый звук",
    "video-caption": "видео без субтитров",
    "p-as-heading": "абзацы, оформленные как заголовки",
    "image-redundant-alt": "альтернативный текст повторяет подпись",
    "accesskeys": "повторяющиеся клавиши доступа accesskey",
    "server-side-image-map": "серверные карты-изображения",
    "skip-link": "ссылки «перейти к содержимому» ведут в никуда",
    "css-orientation-lock": "страница заблокирована в одной ориентации",
    "frame-focusable-content": "фреймы с фокусируемым содержимым и tabindex=-1",
    "frame-title-unique": "фреймы с одинаковыми названиями",
    "identical-links-same-purpose": "одинаковые ссылки ведут в разные места",
    "summary-name": "элементы <summary> без текста",
}


def help_ru(rule_id: str, english: str = "") -> str:
    """Russian help text of an axe rule; axe's English help when there is no translation."""
    return HELP_RU.get(rule_id) or english or rule_id


def problem_ru(rule_id: str, english: str = "") -> str:
    """A short Russian phrase naming the problem a rule finds (lower case, for a list in a sentence)."""
    if rule_id in PROBLEM_RU:
        return PROBLEM_RU[rule_id]
    text = help_ru(rule_id, english)
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _variant_ru(variant: str) -> str:
    return labels.A11Y_VARIANT_TEXT.get(variant, variant)


def summarise_ru(results: list[AccessibilityResult]) -> list[str]:
    """2–5 Russian lines for the report from the results of a few pages (normal, alt version)."""
    results = list(results or [])
    if not results:
        return ["Дополнительная проверка доступности не проводилась."]
    lines: list[str] = []
    checked = [r for r in results if r.violations_by_impact]
    version = next((r.axe_version for r in checked if r.axe_version), AXE_RU_VERSION)

    if checked:
        # Rules violated on any of the pages; elements summed over pages.
        rules: dict[str, dict] = {}
        for r in checked:
            for v in r.violations:
                agg = rules.setdefault(v["id"], {"impact": v["impact"], "nodes": 0,
                                                 "name": problem_ru(v["id"], v.get("help_en", ""))})
                agg["nodes"] += int(v.get("nodes") or 0)
        pages = "; ".join(_variant_ru(r.variant) for r in checked)
        by_impact = {imp: [(k, a) for k, a in rules.items() if a["impact"] == imp] for imp in IMPACTS}
        for imp in ("critical", "serious"):
            found = sorted(by_impact[imp], key=lambda x: -x[1]["nodes"])
            if found:
                shown = "; ".join(f"{a['name']}: {a['nodes']} эл." for _, a in found[:3])
                more = f" и ещё {len(found) - 3}" if len(found) > 3 else ""
                lines.append(f"{capitalized(labels.IMPACT_PLURAL[imp])} нарушений: {len(found)} ({shown}{more})")
        if not by_impact["critical"] and not by_impact["serious"]:
            lines.insert(0, "Критических и серьёзных нарушений доступности автоматическая проверка не выявила")
        rest = len(by_impact["moderate"]) + len(by_impact["minor"])
        head = (f"Автоматическая проверка axe-core {version} по правилам WCAG "
                f"(основа ГОСТ Р 52872-2019), проверено: {pages}")
        lines.insert(0, head + (f"; прочих (умеренных и незначительных) нарушений: {rest}" if rest else ""))

    zoomed = [r for r in results if r.zoom_200_horizontal_scroll is not None]
    bad = [r for r in zoomed if r.zoom_200_horizontal_scroll]
    if bad:
        r = max(bad, key=lambda x: x.zoom_details.get("content_width", 0))
        d = r.zoom_details
        where = "" if len(zoomed) == 1 else f" ({', '.join(_variant_ru(x.variant) for x in bad)})"
        size = f"ширина страницы {d.get('content_width')} px при окне {d.get('viewport_width')} px"
        wide = d.get("wide_elements") or []
        if wide:
            size += f", шире окна элемент {wide[0]['selector']} — {wide[0]['width']} px"
        if all(x.zoom_details.get("content_clipped") for x in bad):
            lines.append(f"При увеличении 200 %{where} содержимое не помещается в окно и обрезается "
                         f"(горизонтальная прокрутка запрещена стилями; {size}) — часть информации недоступна, "
                         "нарушение требований ПП РФ № 102")
        else:
            lines.append(f"При увеличении 200 %{where} появляется горизонтальная прокрутка ({size}) — "
                         "нарушение требований ПП РФ № 102")
    elif zoomed:
        lines.append("При увеличении 200 % горизонтальная прокрутка не появляется (требование ПП РФ № 102 "
                     "выполнено)")

    failed = [r for r in results if r.error]
    if failed:
        parts = "; ".join(f"{_variant_ru(r.variant)}: {r.error[:1].lower() + r.error[1:]}" for r in failed[:2])
        lines.append(f"Не удалось проверить — {parts}")
    lines.append("Проверка дополнительная, баллы НОК по ней не начисляются")
    return lines[:5]
