"""Writes the education test sites (run once; the generated files are committed).

Six school sites sharing one content, each published a different way: МР v9 markup (school_full), no
markup at all (school_plain), Госвеб transliterated slugs (school_gosweb), the Приказ № 831 layout
(school_831), «отсутствует» values and addRef pages (school_addref), the section not linked from the main
page (school_hidden). Every folder's _expected.json holds each item's status and markup.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
PDF = HERE.parent / "sites" / "kcson_full" / "docs" / "ustav.pdf"
GW = "/svedeniya-ob-obrazovatelnoy-organizatsii"
# key -> (title, МР slug, Госвеб slug, content: [(itemprop, text, href or None, children)])
SUBS = {
    "common": ("Основные сведения", "common", "osnovnye-svedeniya", [
        ("fullName", "Муниципальное автономное общеобразовательное учреждение «Средняя школа № 7»", None),
        ("shortName", "МАОУ СШ № 7", None), ("regDate", "12.03.1996", None),
        ("address", "625000, г. Тюмень, ул. Школьная, д. 7", None),
        ("workTime", "понедельник — пятница с 8:00 до 18:00", None), ("telephone", "+7 (3452) 12-34-56", None),
        ("email", "school7@tyumen-edu.ru", None),
        ("uchredLaw", "Учредитель: Департамент образования Администрации города Тюмени, ул. Первомайская, 20", None),
        ("licenseDocLink", "Выписка из реестра лицензий на осуществление образовательной деятельности", "/docs/licenziya.pdf"),
        ("addressPlaceSet", "625000, г. Тюмень, ул. Школьная, д. 7", None)]),
    "struct": ("Структура и органы управления образовательной организацией", "struct", "struktura-i-organy-upravleniya", [
        ("structOrgUprav", "Педагогический совет — председатель Иванова Мария Петровна, директор", None)]),
    "document": ("Документы", "document", "dokumenty", [
        ("ustavDocLink", "Устав МАОУ СШ № 7", "/docs/ustav.pdf"),
        ("localActStud", "Правила внутреннего распорядка обучающихся", "/docs/pravila-obuchayushchihsya.pdf"),
        ("localActOrder", "Правила внутреннего трудового распорядка", "/docs/pravila-trudovogo-rasporyadka.pdf"),
        ("localActCollec", "Коллективный договор на 2024–2027 годы", "/docs/kollektivnyy-dogovor.pdf"),
        ("reportEduDocLink", "Отчёт о результатах самообследования за 2025 год", "/docs/samoobsledovanie-2025.pdf"),
        ("prescriptionDocLink", "Предписания органов контроля и отчёты об их исполнении", "/docs/predpisaniya.pdf")]),
    "education": ("Образование", "education", "obrazovanie", [
        ("eduAccred", "Основное общее образование, очная форма, нормативный срок обучения 5 лет", None),
        ("languageEl", "Обучение ведётся на русском языке", None),
        ("accreditationDocLink", "Выписка из реестра организаций, осуществляющих образовательную деятельность по "
                                 "имеющим государственную аккредитацию программам", "/docs/akkreditaciya.pdf")]),
    "managers": ("Руководство", "managers", "rukovodstvo", [
        ("rucovodstvo", "Директор — Петров Иван Сергеевич, телефон +7 (3452) 12-34-50", None)]),
    "employees": ("Педагогический состав", "employees", "pedagogicheskiy-sostav", [
        ("teachingStaff", "Сидорова Анна Викторовна, учитель математики, высшая категория, стаж 21 год", None)]),
    "objects": ("Материально-техническое обеспечение и оснащённость образовательного процесса. Доступная среда",
                "objects", "materialno-tehnicheskoe-obespechenie", [
        ("purposeCab", "32 учебных кабинета, в том числе 2 кабинета информатики", None),
        ("purposeLibr", "Библиотека с читальным залом на 30 мест", None),
        ("purposeSport", "Спортивный зал 18×9 м, стадион", None),
        ("ovz", "Вход оборудован пандусом, есть кнопка вызова персонала", None)]),
    "grants": ("Стипендии и меры поддержки обучающихся", "grants", "stipendii", [
        ("support", "Бесплатное двухразовое питание для детей из многодетных семей", None)]),
    "paid_edu": ("Платные образовательные услуги", "paid_edu", "platnye-obrazovatelnye-uslugi", [
        ("paidEdu", "Положение об оказании платных образовательных услуг", "/docs/platnye-uslugi.pdf")]),
    "budget": ("Финансово-хозяйственная деятельность", "budget", "finansovo-hozyaystvennaya-deyatelnost", [
        ("volume", "Объём образовательной деятельности за 2025 год: 84 312 тыс. руб. за счёт бюджета субъекта", None),
        ("finPlanDocLink", "План финансово-хозяйственной деятельности на 2026 год", "/docs/plan-fhd-2026.pdf")]),
    "vacant": ("Вакантные места для приёма (перевода) обучающихся", "vacant", "vakantnye-mesta", [
        ("vacant", "1 класс — 4 места, 5 класс — 2 места, 10 класс — 6 мест", None)]),
    "inter": ("Международное сотрудничество", "inter", "mezhdunarodnoe-sotrudnichestvo", [
        ("internationalDog", "Договоры с иностранными организациями: отсутствуют", None)]),
    "catering": ("Организация питания в образовательной организации", "catering", "organizatsiya-pitaniya", [
        ("meals", "Столовая на 240 посадочных мест, 1 этаж, доступна для маломобильных групп", None)]),
}
FOOTER = ('<footer><p>Телефон приёмной: +7 (3452) 12-34-56, e-mail: '
          '<a href="mailto:school7@tyumen-edu.ru">school7@tyumen-edu.ru</a></p>'
          '<p><a href="/special/">Версия для слабовидящих</a></p></footer>')


def page(title: str, body: str, menu: str = "") -> str:
    return (f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{title} — МАОУ СШ № 7</title>'
            f'</head><body><header><a href="/">МАОУ СШ № 7 г. Тюмени</a></header>{menu}<main><h1>{title}</h1>'
            f'{body}</main>{FOOTER}</body></html>\n')


def fields(content, markup: bool, empty: set[str] = frozenset(), unmarked: set[str] = frozenset()) -> str:
    out = []
    for prop, text, href in content:
        if prop in empty:
            text, href = "отсутствует", None
        attr = f' itemprop="{prop}"' if markup and prop not in unmarked else ""
        if href:
            out.append(f'<p><a{attr} href="{href}">{text}</a></p>')
        else:
            out.append(f"<p{attr}>{text}</p>")
    return "\n".join(out)


def write(root: Path, path: str, html: str) -> None:
    f = root / path.strip("/") / "index.html" if not path.endswith(".html") else root / path.strip("/")
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(html, encoding="utf-8")


def docs(root: Path) -> None:
    for key, (_, _, _, content) in SUBS.items():
        for _, _, href in content:
            if href:
                (root / href.strip("/")).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(PDF, root / href.strip("/"))


def school(name: str, *, markup=True, slugs=None, root_path="/sveden", link_from_main=True, layout=None,
           empty=frozenset(), addref=False, unmarked=frozenset(), drop=()) -> Path:
    root = HERE / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    subs = dict(SUBS)
    if layout == "831":     # one page «Руководство. Педагогический состав»; «Доступная среда» its own page
        mgr, emp, obj = subs.pop("managers"), subs.pop("employees"), subs["objects"]
        subs["employees"] = ("Руководство. Педагогический (научно-педагогический) состав", "employees", "",
                             mgr[3] + emp[3])
        subs["objects"] = ("Материально-техническое обеспечение и оснащённость образовательного процесса", "objects",
                           "", [c for c in obj[3] if c[0] != "ovz"])
        subs["ovz"] = ("Доступная среда", "ovz", "", [c for c in obj[3] if c[0] == "ovz"])
        # accreditation still in «Основные сведения», as 1493 had it before Приказ № 1353
        acc = [c for c in subs["education"][3] if c[0] == "accreditationDocLink"]
        subs["education"] = (*subs["education"][:3], [c for c in subs["education"][3] if c not in acc])
        subs["common"] = (*subs["common"][:3], subs["common"][3] + acc)
    for k in drop:
        del subs[k]
    urls = {k: f"{root_path}/{(slugs or {}).get(k, v[1])}/" for k, v in subs.items()}
    menu = "<nav><ul>" + "".join(f'<li><a href="{urls[k]}">{v[0]}</a></li>' for k, v in subs.items()) + "</ul></nav>"
    for k, (title, _, _, content) in subs.items():
        body = (f"<p>Сведения подраздела «{title}» обновляются в течение 10 рабочих дней после изменений; "
                f"ответственный — заместитель директора Кузнецова Ольга Николаевна.</p>\n" + fields(content, markup, empty, unmarked))
        if addref and k == "education":
            body += '\n<p><a itemprop="addRef" href="/sveden/education/programmy/">Реализуемые образовательные программы</a></p>'
            write(root, "/sveden/education/programmy/", page("Реализуемые образовательные программы",
                  '<div itemprop="eduOp"><p itemprop="eduName">Основная образовательная программа основного общего '
                  'образования (ФГОС ООО), очная форма, срок обучения 5 лет</p><p itemprop="languageEl">русский</p>'
                  '</div>', menu))
            body = body.replace('<p itemprop="languageEl">Обучение ведётся на русском языке</p>', "")
        write(root, urls[k], page(title, body, menu))
    write(root, root_path + "/", page("Сведения об образовательной организации",
          "<p>Специальный раздел официального сайта: сведения размещаются по Приказу Рособрнадзора № 1493.</p>", menu))
    write(root, "/special/", page("Версия для слабовидящих", "<p>Крупный шрифт, контрастная схема, без картинок. "
                                  "Все разделы сайта доступны в этой версии.</p>"))
    main_links = ['<a href="/o-shkole/">О школе</a>', '<a href="/novosti/">Новости</a>']
    if link_from_main:
        main_links.insert(0, f'<a href="{root_path}/">Сведения об образовательной организации</a>')
    else:
        write(root, "/o-shkole/", page("О школе", "<p>Школа основана в 1996 году. Подробные сведения — в разделе "
              f'<a href="{root_path}/">Сведения об образовательной организации</a>.</p>'))
    if link_from_main:
        write(root, "/o-shkole/", page("О школе", "<p>Школа основана в 1996 году, в ней учатся 1 240 детей, "
                                       "работают 86 педагогов.</p>"))
    write(root, "/novosti/", page("Новости", "<p>01.09.2026 — Торжественная линейка, посвящённая Дню знаний, "
                                  "прошла во дворе школы.</p>"))
    write(root, "/", page("Главная", "<p>Добро пожаловать на официальный сайт муниципальной школы № 7 города "
                          "Тюмени. Приём в 1 класс начинается 1 апреля.</p>",
                          "<nav>" + " ".join(main_links) + "</nav>"))
    docs(root)
    return root


def expected(root: Path, items: dict, description: str) -> None:
    (root / "_expected.json").write_text(json.dumps({"site": root.name, "description": description, "start_path": "/",
                                                     "items": items}, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")


SV = ["sv_common", "sv_struct", "sv_document", "sv_education", "sv_managers", "sv_employees", "sv_objects",
      "sv_grants", "sv_paid_edu", "sv_budget", "sv_vacant", "sv_inter", "sv_catering", "sv_charter", "sv_license",
      "sv_accreditation", "sv_self_report", "sv_prescriptions", "sv_local_acts", "sv_fin_plan"]
CHANNELS = {"ch_phone": "present", "ch_email": "present", "ch_e_service": "absent", "ch_faq": "absent",
            "ch_opinion": "absent", "ch_other": "absent", "acc_alt_version": "present", "pos_widget": "absent",
            "bus_gov_link": "absent"}


def items(level: str, section="present", **over) -> dict:
    out = {"sveden_section": {"status": section}}
    out.update({i: {"status": "present", "markup": level} for i in SV})
    out["sv_edu_standards"] = {"status": "not_applicable", "markup": "none"}
    out.update({k: {"status": v} for k, v in CHANNELS.items()})
    for k, v in over.items():
        out[k] = {**out.get(k, {}), **v}
    return out


def main() -> None:
    expected(school("school_full"), items("complete"), "МР v9: every subsection at /sveden/<slug>/ with its itemprops.")
    expected(school("school_plain", markup=False), items("none"),
             "Everything published at the МР addresses, no itemprop at all: present, markup none.")
    gw = {k: v[2] for k, v in SUBS.items()}
    expected(school("school_gosweb", slugs=gw, root_path=GW), items("complete"),
             "Госвеб: transliterated slugs under /svedeniya-ob-obrazovatelnoy-organizatsii/ with МР itemprops.")
    expected(school("school_831", layout="831", unmarked={"uchredLaw"}, drop=("catering",)), items(
        "complete", sv_accreditation={"markup": "none", "missing": ["accreditationDocLink"]},
        sv_common={"markup": "partial", "missing": ["uchredLaw"]},
        sv_catering={"status": "absent", "markup": "none", "missing": ["meals"]}),
        "Приказ № 831 layout: managers inside /sveden/employees, «Доступная среда» at /sveden/ovz; accreditation still "
        "in «Основные сведения», so after 01.03.2026 its markup is missing from «Образование»; the founder published "
        "without uchredLaw (partial); no «Организация питания» (absent).")
    expected(school("school_addref", addref=True, empty={"internationalDog", "prescriptionDocLink", "paidEdu"}),
             items("complete"), "«отсутствует» inside marked-up elements; «Образование» continued on an addRef page.")
    expected(school("school_hidden", link_from_main=False), items("complete", section="absent"),
             "The section is complete but the main page does not link it (only «О школе» does).")


if __name__ == "__main__":
    main()
