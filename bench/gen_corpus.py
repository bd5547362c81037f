"""Deterministic corpus of synthetic Russian social-service organisation sites (КЦСОН-like).

    make_corpus(root, sites=20, pages=50, seed=1) -> dict (manifest)

Each site is a folder ``root/site-NNN/`` of static files served by nginx: ``pages`` HTML pages of
about 20–80 KB (a Bitrix-like template: inline CSS and scripts, a header menu of ~20 links, a
sidebar with news teasers, a footer with the address, phone, e-mail, working hours and a site-map
block; a body of paragraphs and tables), plus a few real documents (PDF with a text layer, DOCX)
linked from «Документы» and other pages, and a robots.txt. Pages are reachable from the home page
within two links, all URLs end with "/" (no redirects) and contain no digits (no trap-guard
budgets are hit), and nothing links to local CSS/JS/images (every crawler fetches the same set).
About 20 % of the sites are encoded in windows-1251 (``<meta charset>`` and nginx's
``charset windows-1251``). Section names are those the social checklist looks for; some sites
miss or stub a few sections, so evaluation finds present, absent and stub items.

Same (sites, pages, seed, GENERATOR_VERSION) => byte-identical corpus.
"""
from __future__ import annotations

import html
import json
import os
import random
import shutil
from pathlib import Path

GENERATOR_VERSION = 1
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE_DOCS = REPO / "tests" / "sites" / "kcson_full" / "docs"
# (file, link text) — real documents with a Cyrillic text layer, shipped with the test sites.
SHARED_DOCS = [
    ("ustav.pdf", "Устав учреждения (новая редакция)"),
    ("vypiska-egrul.pdf", "Выписка из ЕГРЮЛ"),
    ("plan-fhd-2025.pdf", "План финансово-хозяйственной деятельности на текущий год"),
    ("polozhenie-platnye-uslugi.pdf", "Положение о предоставлении социальных услуг за плату"),
    ("pravila-vnutrennego-rasporyadka.docx", "Правила внутреннего распорядка для получателей социальных услуг"),
    ("tarify.docx", "Тарифы на социальные услуги"),          # made here with python-docx
]

# ------------------------------------------------------------------ vocabulary

DISTRICTS = ["Заречного", "Центрального", "Октябрьского", "Ленинского", "Советского", "Кировского",
             "Первомайского", "Железнодорожного", "Приморского", "Северного", "Южного", "Восточного",
             "Калининского", "Фрунзенского", "Пролетарского", "Индустриального", "Берёзовского", "Озёрного",
             "Сосновского", "Каменского", "Тихвинского", "Луговского", "Никольского", "Покровского"]
CITIES = ["Заречный", "Старогорск", "Новоозёрск", "Верхнедольск", "Светлогорск", "Краснополье", "Белореченск",
          "Тихоречье", "Каменск", "Лесногорск", "Солнечногорск", "Приозёрск", "Дубровка", "Ясногорск"]
REGIONS = ["Вологодской области", "Тверской области", "Ярославской области", "Костромской области",
           "Кировской области", "Пермского края", "Алтайского края", "Новгородской области",
           "Псковской области", "Омской области", "Курганской области", "Республики Карелия"]
ORG_TYPES = [
    ("Комплексный центр социального обслуживания населения", "КЦСОН"),
    ("Центр социального обслуживания граждан пожилого возраста и инвалидов", "ЦСО"),
    ("Социально-реабилитационный центр для несовершеннолетних", "СРЦН"),
    ("Комплексный центр социального обслуживания населения", "КЦСОН"),
    ("Дом-интернат для престарелых и инвалидов", "ДИПИ"),
    ("Центр социальной помощи семье и детям", "ЦСПСД"),
]
STREETS = ["ул. Ленина", "ул. Советская", "ул. Мира", "пр. Победы", "ул. Садовая", "ул. Школьная",
           "ул. Молодёжная", "ул. Гагарина", "ул. Набережная", "ул. Кирова", "пер. Почтовый", "ул. Пушкина"]
SURNAMES = ["Иванова", "Петрова", "Смирнова", "Кузнецова", "Соколова", "Попова", "Лебедева", "Козлова",
            "Новикова", "Морозова", "Волкова", "Соловьёва", "Васильева", "Зайцева", "Павлова", "Семёнова",
            "Голубева", "Виноградова", "Богданова", "Воробьёва", "Фёдорова", "Михайлова", "Беляева",
            "Тарасова", "Белова", "Комарова", "Орлова", "Киселёва", "Макарова", "Андреева"]
NAMES = ["Ольга", "Елена", "Татьяна", "Наталья", "Ирина", "Светлана", "Марина", "Галина", "Анна",
         "Людмила", "Надежда", "Юлия", "Екатерина", "Валентина", "Любовь", "Оксана"]
PATRONYMICS = ["Александровна", "Сергеевна", "Владимировна", "Николаевна", "Ивановна", "Викторовна",
               "Михайловна", "Анатольевна", "Петровна", "Юрьевна", "Васильевна", "Геннадьевна"]
POSITIONS = ["социальный работник", "специалист по социальной работе", "психолог", "юрисконсульт",
             "заведующий отделением", "медицинская сестра", "инструктор по адаптивной физической культуре",
             "логопед", "культорганизатор", "бухгалтер", "специалист по кадрам", "водитель", "сиделка",
             "педагог-психолог", "социальный педагог", "специалист по реабилитационной работе"]
EDUCATION = ["высшее", "среднее профессиональное", "высшее (магистратура)", "среднее профессиональное, "
             "профессиональная переподготовка"]
SERVICE_KINDS = ["социально-бытовые услуги", "социально-медицинские услуги", "социально-психологические услуги",
                 "социально-педагогические услуги", "социально-трудовые услуги", "социально-правовые услуги",
                 "услуги в целях повышения коммуникативного потенциала", "срочные социальные услуги"]
SERVICES = ["покупка за счёт средств получателя и доставка на дом продуктов питания",
            "помощь в приготовлении пищи", "оплата за счёт средств получателя жилищно-коммунальных услуг",
            "сдача вещей в стирку, химчистку, ремонт", "покупка топлива, топка печей, обеспечение водой",
            "уборка жилых помещений", "содействие в получении медицинской помощи",
            "измерение температуры тела, артериального давления", "социально-психологическое консультирование",
            "психологическая помощь и поддержка", "обучение родственников практическим навыкам общего ухода",
            "организация досуга и отдыха", "оказание помощи в оформлении документов",
            "содействие в получении бесплатной юридической помощи", "обучение навыкам самообслуживания",
            "проведение реабилитационных мероприятий", "обучение пользованию средствами реабилитации",
            "обеспечение бесплатным горячим питанием или наборами продуктов",
            "обеспечение одеждой, обувью и другими предметами первой необходимости",
            "содействие в получении временного жилого помещения"]
DEPARTMENTS = ["Отделение социального обслуживания на дому", "Отделение дневного пребывания",
               "Отделение срочного социального обслуживания", "Отделение социальной помощи семье и детям",
               "Отделение социальной реабилитации инвалидов", "Консультативное отделение",
               "Отделение временного проживания", "Служба сопровождения", "Административно-хозяйственная часть",
               "Отделение психолого-педагогической помощи", "Отделение профилактики безнадзорности",
               "Отделение социального сопровождения граждан", "Социально-оздоровительное отделение",
               "Отделение организационно-методической работы"]
NEWS_EVENTS = ["День пожилого человека", "Акция «Тёплый дом»", "Мастер-класс по декоративно-прикладному творчеству",
               "Экскурсия в краеведческий музей", "Праздничный концерт", "Занятие школы ухода",
               "Спартакиада пенсионеров", "Выездной приём специалистов", "Благотворительная ярмарка",
               "Турнир по шашкам", "Встреча клуба «Активное долголетие»", "Неделя финансовой грамотности",
               "Поздравление ветеранов", "День открытых дверей", "Семинар для социальных работников",
               "Акция «Добрые крышечки»", "Прогулка по экологической тропе", "Конкурс чтецов",
               "Вечер памяти", "Фестиваль «Серебряный возраст»", "Занятие по скандинавской ходьбе",
               "Курсы компьютерной грамотности", "Новогодний утренник", "Масленичные гуляния",
               "Урок безопасности", "Встреча с представителями пенсионного фонда", "Обучение волонтёров"]
NEWS_PLACES = ["в отделении дневного пребывания", "в центре", "в сельском поселении", "в библиотеке района",
               "в доме культуры", "для получателей социальных услуг", "с участием волонтёров",
               "для семей с детьми", "в отделении реабилитации", "для ветеранов", "в парке", "в актовом зале"]
ARTICLES = ["Как получить социальные услуги на дому", "Что такое индивидуальная программа",
            "Памятка для родственников пожилого человека", "Как защититься от мошенников",
            "Профилактика падений в пожилом возрасте", "Права получателей социальных услуг",
            "Социальный контракт: кому положен", "Как оформить компенсацию за услуги связи",
            "Технические средства реабилитации: порядок выдачи", "Советы психолога: как справиться с одиночеством",
            "Здоровое питание после шестидесяти", "Памятка по пожарной безопасности",
            "Долговременный уход: что нужно знать", "Меры социальной поддержки многодетных семей",
            "Как записаться в школу ухода", "Бесплатная юридическая помощь"]
MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря"]
SENTENCES = [
    "Учреждение предоставляет социальные услуги гражданам пожилого возраста, инвалидам, семьям с детьми и лицам, находящимся в трудной жизненной ситуации.",
    "Социальное обслуживание осуществляется на основании индивидуальной программы, составленной с учётом потребностей гражданина.",
    "Специалисты отделения оказывают социально-бытовые, социально-медицинские и социально-психологические услуги.",
    "Для получения услуг необходимо обратиться с письменным заявлением в учреждение или в многофункциональный центр.",
    "Решение о признании гражданина нуждающимся в социальном обслуживании принимается в течение пяти рабочих дней.",
    "Социальные работники посещают получателей услуг на дому в соответствии с утверждённым графиком.",
    "В отделении дневного пребывания организованы занятия лечебной физкультурой, кружки и клубы по интересам.",
    "Психологи центра проводят индивидуальные и групповые консультации, тренинги и занятия в сенсорной комнате.",
    "Пункт проката технических средств реабилитации выдаёт кресла-коляски, ходунки, трости и противопролежневые матрасы.",
    "Служба «Социальное такси» доставляет маломобильных граждан в медицинские организации и учреждения культуры.",
    "В рамках проекта «Активное долголетие» проводятся занятия скандинавской ходьбой, компьютерной грамотностью и хоровым пением.",
    "Специалисты по социальной работе помогают оформить документы и получить меры социальной поддержки.",
    "Получатели социальных услуг имеют право на уважительное и гуманное отношение, на выбор поставщика и на отказ от услуг.",
    "Размер ежемесячной платы рассчитывается на основе тарифов и не может превышать половины среднедушевого дохода получателя.",
    "Социальные услуги предоставляются бесплатно несовершеннолетним детям и гражданам, чей среднедушевой доход ниже предельной величины.",
    "Мобильная бригада выезжает в отдалённые населённые пункты района для оказания консультативной помощи.",
    "Волонтёры серебряного возраста помогают сотрудникам центра в организации праздничных мероприятий.",
    "Отделение помощи семье и детям работает с многодетными и малообеспеченными семьями, семьями с детьми-инвалидами.",
    "Участковые специалисты выявляют граждан, нуждающихся в помощи, и рассказывают им о возможностях её получения.",
    "Приём граждан ведётся в порядке живой очереди, по предварительной записи по телефону или через электронную почту.",
    "Ежегодно учреждение обслуживает более двух тысяч человек, в том числе около шестисот граждан на дому.",
    "Коллектив центра принял участие в областном конкурсе профессионального мастерства и занял призовое место.",
    "Для детей с ограниченными возможностями здоровья работают логопед, дефектолог и инструктор по адаптивной физкультуре.",
    "Школа ухода обучает родственников навыкам ухода за тяжелобольными гражданами в домашних условиях.",
    "Консультации юриста по вопросам пенсионного обеспечения, наследства и жилищных прав проводятся каждый четверг.",
    "Информация о работе учреждения публикуется на официальном сайте и в официальной группе в социальной сети.",
    "Все услуги предоставляются в соответствии с федеральным законом от 28 декабря 2013 года № 442-ФЗ.",
    "Мероприятие прошло в тёплой и дружеской атмосфере, участники поблагодарили организаторов.",
    "Особое внимание уделяется профилактике одиночества и социальной изоляции пожилых людей.",
    "Сотрудники учреждения регулярно повышают квалификацию на курсах и семинарах.",
    "Получатели услуг и их родственники могут оставить отзыв о работе специалистов.",
    "Занятия проводятся бесплатно, записаться можно у специалиста по социальной работе.",
    "Благодарим всех, кто принял участие в акции и поддержал наших подопечных.",
    "В течение года специалисты провели более трёхсот консультаций и выездных приёмов.",
    "Договор о предоставлении услуг заключается в течение суток с даты представления программы.",
    "Гражданин вправе отказаться от социального обслуживания, отказ оформляется в письменной форме.",
]

CSS = """*{box-sizing:border-box}body{margin:0;font:15px/1.5 Arial,Helvetica,sans-serif;color:#1d2733;background:#f4f6f9}
a{color:#0b5cad;text-decoration:none}a:hover{text-decoration:underline}.page{max-width:1200px;margin:0 auto;background:#fff}
.header{border-bottom:3px solid #0b5cad}.header__top{display:flex;justify-content:space-between;align-items:center;padding:6px 20px;background:#eef3f9;font-size:13px}
.header__social a{display:inline-block;margin-left:8px}.header__search input{width:220px;padding:3px 6px;border:1px solid #b9c6d6}
.header__logo{display:flex;align-items:center;gap:16px;padding:14px 20px}.header__name{font-size:19px;font-weight:bold;max-width:760px}
.header__phone{margin-left:auto;font-size:16px;white-space:nowrap}.top-menu ul{list-style:none;margin:0;padding:0}
.top-menu__list{display:flex;flex-wrap:wrap;background:#0b5cad}.top-menu__list>li{position:relative}.top-menu__list>li>a{display:block;padding:10px 14px;color:#fff;font-weight:bold}
.top-menu__sub{display:none;position:absolute;z-index:10;min-width:280px;background:#fff;box-shadow:0 4px 10px rgba(0,0,0,.15)}
.top-menu__list>li:hover .top-menu__sub{display:block}.top-menu__sub a{display:block;padding:7px 14px;border-bottom:1px solid #e3e8ef}
.breadcrumbs{padding:10px 20px;font-size:13px;color:#6b7785}.main-wrap{display:flex;gap:24px;padding:0 20px 24px}
.content{flex:1 1 auto;min-width:0}.content h1{font-size:26px;margin:6px 0 16px}.content h2{font-size:20px;margin:20px 0 10px}
.content table{border-collapse:collapse;width:100%;margin:10px 0 18px;font-size:14px}.content td,.content th{border:1px solid #c9d3df;padding:6px 8px;vertical-align:top}
.content th{background:#eef3f9;text-align:left}.doc-list li{margin:6px 0}.doc-list .size{color:#6b7785;font-size:12px}
.sidebar{flex:0 0 280px}.sidebar__block{background:#f4f7fb;border:1px solid #dde5ef;padding:12px 14px;margin-bottom:16px}
.sidebar__block h3{margin:0 0 8px;font-size:16px}.teaser{margin-bottom:10px;font-size:13px}.teaser .date{color:#6b7785;display:block}
.banner{display:block;border:1px solid #dde5ef;padding:10px;margin-bottom:8px;background:#fff;font-size:13px}
.footer{background:#1d3b5c;color:#dfe7f1;padding:24px 20px;font-size:13px}.footer a{color:#fff}.footer__cols{display:flex;gap:32px;flex-wrap:wrap}
.footer__col{flex:1 1 220px}.footer__map ul{columns:2;padding-left:16px;margin:0}.footer__copy{margin-top:18px;border-top:1px solid #3d5a7a;padding-top:10px;color:#9fb1c6}
.index-tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin:16px 0}.tile{display:block;padding:16px;border:1px solid #c9d3df;background:#f8fafc;font-weight:bold}
.faq dt{font-weight:bold;margin-top:12px}.faq dd{margin:4px 0 0 0}.form-row{margin:8px 0}.form-row label{display:block;font-weight:bold}
.form-row input,.form-row textarea{width:100%;max-width:560px;padding:6px;border:1px solid #b9c6d6}.note{font-size:13px;color:#6b7785}
@media (max-width:900px){.main-wrap{flex-direction:column}.sidebar{flex:none}.index-tiles{grid-template-columns:1fr}}"""

_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "c", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"]))


def translit(text: str, max_words: int = 6) -> str:
    out, word = [], []
    for ch in text.lower():
        t = _TRANSLIT.get(ch, ch if ("a" <= ch <= "z") else None)
        if t is None:
            if word:
                out.append("".join(word))
                word = []
        else:
            word.append(t)
    if word:
        out.append("".join(word))
    return "-".join([w for w in out if w][:max_words])


def _letters(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(97 + r) + s
    return s


def unique_slug(base: str, used: set[str]) -> str:
    slug, n = base, 0
    while slug in used:
        n += 1
        slug = f"{base}-{_letters(n)}"
    used.add(slug)
    return slug


def esc(s: str) -> str:
    return html.escape(s, quote=True)


# ------------------------------------------------------------------ the organisation

class Org:
    def __init__(self, rng: random.Random, index: int):
        kind, abbr = rng.choice(ORG_TYPES)
        district = rng.choice(DISTRICTS)
        self.region = rng.choice(REGIONS)
        self.city = rng.choice(CITIES)
        self.full = f"Бюджетное учреждение социального обслуживания {self.region} «{kind} {district} района»"
        self.short = f"БУ СО «{abbr} {district} района»"
        self.founder = f"Министерство социальной защиты населения {self.region}"
        code = rng.randint(81000, 86999)
        self.phone_href = f"+7{code}{rng.randint(20000, 79999)}"
        p = self.phone_href
        self.phone = f"8 ({p[2:7]}) {p[7]}-{p[8:10]}-{p[10:12]}"
        self.email = f"{translit(abbr)}-{translit(district, 1)[:10]}@social-{rng.choice('abcdefgh')}{index % 97}.ru"
        self.address = (f"{rng.randint(160000, 189999)}, {self.region.replace('области', 'область').replace('края', 'край').replace('Республики', 'Республика')}, "
                        f"г. {self.city}, {rng.choice(STREETS)}, д. {rng.randint(1, 120)}")
        self.hours = rng.choice(["пн–пт 8:00–17:00, перерыв 12:00–13:00", "пн–чт 8:30–17:45, пт 8:30–16:30",
                                 "пн–пт 9:00–18:00, сб, вс — выходные"])
        self.reg_date = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(1995, 2012)}"
        self.ogrn = f"1{rng.randint(10**11, 10**12 - 1)}"
        self.inn = f"{rng.randint(10**9, 10**10 - 1)}"
        self.director = person(rng)
        self.vk = f"https://vk.com/{translit(abbr)}_{translit(district, 1)[:12]}" if rng.random() < 0.8 else ""
        self.ok = f"https://ok.ru/group/{rng.randint(10**13, 10**14 - 1)}" if rng.random() < 0.5 else ""
        self.bus_gov = f"https://bus.gov.ru/qrcode/rate/{rng.randint(100000, 999999)}" if rng.random() < 0.7 else ""
        self.bvi = rng.random() < 0.85
        self.pos_widget = rng.random() < 0.4
        self.metrika = rng.randint(10_000_000, 99_999_999)


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}"


def date_ru(rng: random.Random, year_from: int = 2023, year_to: int = 2025) -> str:
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(year_from, year_to)} года"


def paragraph(rng: random.Random, n: tuple[int, int] = (3, 7)) -> str:
    return "<p>" + esc(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(*n)))) + "</p>\n"


# ------------------------------------------------------------------ site structure

class Page:
    def __init__(self, path: str, title: str, kind: str, parent: str | None = None, menu: str = ""):
        self.path = path            # "/o-nas/struktura/"
        self.title = title
        self.kind = kind
        self.parent = parent
        self.menu = menu            # label in the header menu ("" = not in the menu)
        self.children: list[Page] = []
        self.stub = False
        self.docs: list[tuple[str, str]] = []
        self.date = ""


# (path, title, kind, parent, menu label, optional)
CORE = [
    ("/", "Главная", "home", None, "", False),
    ("/o-nas/", "Основные сведения об учреждении", "about", None, "Об учреждении", False),
    ("/o-nas/struktura/", "Структура и органы управления", "structure", "/o-nas/", "Структура и органы управления", False),
    ("/o-nas/rukovodstvo/", "Руководство", "leaders", "/o-nas/", "Руководство", False),
    ("/o-nas/personal/", "Персональный состав работников", "staff", "/o-nas/", "Персональный состав", False),
    ("/o-nas/mto/", "Материально-техническое обеспечение предоставления социальных услуг", "text", "/o-nas/", "Материально-техническое обеспечение", True),
    ("/dokumenty/", "Документы", "documents", "/o-nas/", "Документы", False),
    ("/dokumenty/proverki/", "Предписания органов государственного контроля и отчёты об их исполнении", "inspections", "/o-nas/", "Предписания и проверки", True),
    ("/nok/", "Независимая оценка качества условий оказания услуг", "nok", "/o-nas/", "Независимая оценка качества", True),
    ("/uslugi/", "Формы социального обслуживания", "forms", None, "Социальные услуги", False),
    ("/uslugi/vidy/", "Виды социальных услуг", "kinds", "/uslugi/", "Виды социальных услуг", False),
    ("/uslugi/poryadok/", "Порядок и условия предоставления социальных услуг", "text", "/uslugi/", "Порядок и условия предоставления", False),
    ("/uslugi/tarify/", "Тарифы на социальные услуги", "tariffs", "/uslugi/", "Тарифы", False),
    ("/uslugi/chislennost/", "Численность получателей социальных услуг", "numbers", "/uslugi/", "Численность получателей", True),
    ("/uslugi/svobodnye-mesta/", "Количество свободных мест для приёма получателей социальных услуг", "places", "/uslugi/", "Свободные места", False),
    ("/uslugi/obem/", "Объём предоставляемых социальных услуг", "numbers", "/uslugi/", "Объём услуг", True),
    ("/dostupnaya-sreda/", "Доступная среда", "access", None, "Доступная среда", False),
    ("/priemnaya/", "Интернет-приёмная", "reception", None, "Интернет-приёмная", True),
    ("/faq/", "Вопрос-ответ", "faq", None, "Вопрос-ответ", True),
    ("/poleznoe/", "Полезная информация", "index", None, "Полезная информация", False),
    ("/news/", "Новости", "newslist", None, "Новости", False),
    ("/kontakty/", "Контакты", "contacts", None, "Контакты", False),
]
STUB_TEXTS = ["Страница в разработке.", "Раздел находится в стадии наполнения.", "Информация будет размещена позднее."]


def plan_site(rng: random.Random, n_pages: int) -> list[Page]:
    core = list(CORE)
    optional = [c for c in core if c[5]]
    drop = set(c[0] for c in rng.sample(optional, rng.choice([0, 0, 1, 1, 2, 3])))
    core = [c for c in core if c[0] not in drop][:max(1, n_pages)]
    pages = [Page(path, title, kind, parent, menu) for path, title, kind, parent, menu, _ in core]
    by_path = {p.path: p for p in pages}
    stubbable = [p for p in pages if p.kind in ("text", "inspections", "nok", "numbers", "faq")]
    for p in rng.sample(stubbable, min(len(stubbable), rng.choice([0, 0, 1, 2]))):
        p.stub = True
    used: set[str] = set()
    extra = n_pages - len(pages)
    for i in range(max(0, extra)):
        r = rng.random()
        if r < 0.45 and "/news/" in by_path:
            title = f"{rng.choice(NEWS_EVENTS)} {rng.choice(NEWS_PLACES)}"
            page = Page(f"/news/{unique_slug(translit(title), used)}/", title, "news", "/news/")
            page.date = date_ru(rng)
        elif r < 0.65 and "/o-nas/struktura/" in by_path:
            title = rng.choice(DEPARTMENTS)
            page = Page(f"/o-nas/struktura/{unique_slug(translit(title), used)}/", title, "department", "/o-nas/struktura/")
        elif r < 0.8 and "/uslugi/vidy/" in by_path:
            title = rng.choice(SERVICE_KINDS).capitalize()
            page = Page(f"/uslugi/vidy/{unique_slug(translit(title), used)}/", title, "service", "/uslugi/vidy/")
        else:
            title = rng.choice(ARTICLES)
            parent = "/poleznoe/" if "/poleznoe/" in by_path else "/"
            page = Page(f"{parent}{unique_slug(translit(title), used)}/", title, "article", parent)
        pages.append(page)
    for p in pages:
        if p.parent and p.parent in by_path and p.path != p.parent:
            by_path[p.parent].children.append(p)
    return pages


# ------------------------------------------------------------------ page rendering

def render_chrome_head(org: Org, page: Page, charset: str) -> str:
    title = f"{page.title} — {org.short}" if page.path != "/" else org.short
    pos = '<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script>\n' if org.pos_widget else ""
    return f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="{charset}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta name="description" content="{esc(page.title)}. Официальный сайт {esc(org.short)}">
<style>{CSS}</style>
<script>window.BX_SETTINGS={{"siteId":"s1","lang":"ru","template":"kcson","ajaxPath":"/bitrix/tools/ajax.php","cookiePrefix":"BITRIX_SM","serverTime":1732268400,"bitrix_sessid":"a7f1c2d3e4b5a6978812"}};</script>
<script>(function(m,e,t,r,i,k,a){{m[i]=m[i]||function(){{(m[i].a=m[i].a||[]).push(arguments)}};m[i].l=1*new Date();k=e.createElement(t),a=e.getElementsByTagName(t)[0],k.async=1,k.src=r,a.parentNode.insertBefore(k,a)}})(window,document,"script","https://mc.yandex.ru/metrika/tag.js","ym");ym({org.metrika},"init",{{clickmap:true,trackLinks:true,accurateTrackBounce:true,webvisor:false}});</script>
{pos}</head>
"""


def render_menu(pages: list[Page]) -> str:
    by_path = {p.path: p for p in pages}
    tops = [p for p in pages if p.menu and p.parent is None and p.path != "/"]
    out = ['<nav class="top-menu"><ul class="top-menu__list">']
    for t in tops:
        subs = [p for p in pages if p.menu and p.parent == t.path]
        out.append(f'<li><a href="{t.path}">{esc(t.menu)}</a>')
        if subs:
            out.append('<ul class="top-menu__sub">')
            if t.path in by_path and t.kind != "index":
                out.append(f'<li><a href="{t.path}">{esc(t.title if len(t.title) < 40 else t.menu)}</a></li>')
            out.extend(f'<li><a href="{s.path}">{esc(s.menu)}</a></li>' for s in subs)
            out.append("</ul>")
        out.append("</li>")
    out.append("</ul></nav>")
    return "\n".join(out)


def render_header(org: Org, menu: str) -> str:
    bvi = ('<a href="#" class="bvi-open header__eye" title="Версия сайта для слабовидящих">Версия для слабовидящих</a>'
           if org.bvi else "<span></span>")
    social = []
    if org.vk:
        social.append(f'<a href="{org.vk}" target="_blank" rel="noopener" title="ВКонтакте">ВК</a>')
    if org.ok:
        social.append(f'<a href="{org.ok}" target="_blank" rel="noopener" title="Одноклассники">ОК</a>')
    return f"""<body>
<div class="page">
<header class="header">
  <div class="header__top">
    {bvi}
    <div class="header__social">{''.join(social)}</div>
    <form class="header__search" action="/search/" method="get"><input type="text" name="q" placeholder="Поиск по сайту"><button type="submit">Найти</button></form>
  </div>
  <div class="header__logo"><a href="/" title="На главную">{esc(org.short)}</a>
    <div class="header__name">{esc(org.full)}</div>
    <div class="header__phone">Приёмная: <a href="tel:{org.phone_href}">{esc(org.phone)}</a></div>
  </div>
{menu}
</header>
"""


def render_sidebar(org: Org, news: list[Page]) -> str:
    teasers = []
    for n in news[:4]:
        teasers.append(f'<div class="teaser"><span class="date">{esc(n.date)}</span>'
                       f'<a href="{n.path}">{esc(n.title)}</a></div>')
    banners = []
    if org.bus_gov:
        banners.append(f'<a class="banner" href="{org.bus_gov}" target="_blank">Оцените качество оказания услуг на bus.gov.ru</a>')
    banners += ['<a class="banner" href="https://www.gosuslugi.ru/" target="_blank">Портал государственных услуг</a>',
                '<a class="banner" href="https://mintrud.gov.ru/" target="_blank">Министерство труда и социальной защиты Российской Федерации</a>',
                '<a class="banner" href="https://sfr.gov.ru/" target="_blank">Социальный фонд России</a>',
                '<a class="banner" href="https://www.consultant.ru/" target="_blank">Справочная правовая система</a>']
    news_block = (f'<div class="sidebar__block"><h3>Новости</h3>\n' + "\n".join(teasers)
                  + '\n<a href="/news/">Все новости</a></div>\n') if teasers else ""
    return f"""<aside class="sidebar">
{news_block}<div class="sidebar__block sidebar__banners"><h3>Полезные ссылки</h3>
{chr(10).join(banners)}
</div>
<div class="sidebar__block"><h3>Телефон доверия</h3><p>Круглосуточно, бесплатно: 8-800-2000-122. Для детей, подростков и их родителей.</p></div>
</aside>
"""


def render_footer(org: Org, pages: list[Page]) -> str:
    links = "".join(f'<li><a href="{p.path}">{esc(p.menu or p.title)}</a></li>' for p in pages
                    if p.menu and p.path != "/")
    return f"""<footer class="footer">
<div class="footer__cols">
  <div class="footer__col">
    <p><strong>{esc(org.short)}</strong></p>
    <p>Адрес: {esc(org.address)}</p>
    <p>Телефон: <a href="tel:{org.phone_href}">{esc(org.phone)}</a></p>
    <p>E-mail: <a href="mailto:{org.email}">{esc(org.email)}</a></p>
    <p>Режим работы: {esc(org.hours)}</p>
  </div>
  <div class="footer__col footer__map"><p><strong>Карта сайта</strong></p><ul>{links}</ul></div>
</div>
<div class="footer__copy">© 2014–2025 {esc(org.full)}. При использовании материалов ссылка на сайт обязательна.</div>
</footer>
</div>
</body>
</html>
"""


def table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>\n<tr>{head}</tr>\n{body}\n</table>\n"


def doc_list(docs: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="/docs/{f}">{esc(t)}</a> <span class="size">({f.rsplit(".", 1)[1].upper()})</span></li>\n'
                    for f, t in docs)
    return f'<ul class="doc-list">\n{items}</ul>\n'


def link_list(pages: list[Page]) -> str:
    return "<ul>\n" + "".join(f'<li><a href="{p.path}">{esc(p.title)}</a></li>\n' for p in pages) + "</ul>\n"


def content_head(rng: random.Random, org: Org, page: Page, site_docs) -> list[str]:
    """The fixed part of a page's content (section-specific), before filler paragraphs/rows."""
    k, out = page.kind, []
    if page.stub:
        return [f"<p>{esc(rng.choice(STUB_TEXTS))}</p>\n"]
    if k == "home":
        tiles = [("/uslugi/", "Формы социального обслуживания"), ("/uslugi/svobodnye-mesta/", "Количество свободных мест"),
                 ("/uslugi/tarify/", "Тарифы на социальные услуги"), ("/dostupnaya-sreda/", "Доступная среда"),
                 ("/o-nas/", "Об учреждении"), ("/kontakty/", "Контакты")]
        out.append(paragraph(rng))
        out.append('<div class="index-tiles">' + "".join(f'<a class="tile" href="{h}">{esc(t)}</a>' for h, t in tiles) + "</div>\n")
    elif k == "about":
        out.append(table(["Сведение", "Значение"], [
            ["Полное наименование", org.full], ["Сокращённое наименование", org.short],
            ["Дата государственной регистрации", org.reg_date], ["ОГРН", org.ogrn], ["ИНН", org.inn],
            ["Учредитель", org.founder], ["Место нахождения", org.address], ["Режим работы", org.hours],
            ["Телефон", org.phone], ["Адрес электронной почты", org.email], ["Директор", org.director]]))
        out.append("<h2>Филиалы</h2>\n<p>Филиалов и представительств учреждение не имеет.</p>\n")
    elif k == "structure":
        rows = [[d, person(rng), org.phone, org.email] for d in rng.sample(DEPARTMENTS, 6)]
        out.append(table(["Структурное подразделение", "Руководитель", "Телефон", "E-mail"], rows))
        out.append("<h2>Органы управления</h2>\n<p>Единоличным исполнительным органом учреждения является директор. "
                   "Коллегиальные органы: общее собрание работников, попечительский совет.</p>\n")
    elif k == "leaders":
        rows = [["Директор", org.director, org.phone, org.email]] + [
            [pos, person(rng), org.phone, org.email] for pos in ("Заместитель директора", "Заместитель директора по общим вопросам", "Главный бухгалтер")]
        out.append(table(["Должность", "ФИО", "Телефон", "E-mail"], rows))
    elif k == "staff":
        out.append("<p>Сведения о персональном составе работников размещаются с их согласия.</p>\n")
    elif k == "documents":
        out.append("<h2>Учредительные и нормативные документы</h2>\n" + doc_list(site_docs))
        out.append("<h2>Лицензии</h2>\n<p>Лицензия на осуществление медицинской деятельности: сведения в "
                   "реестре лицензий Росздравнадзора.</p>\n")
    elif k == "inspections":
        out.append(f"<p>По результатам плановой проверки {esc(date_ru(rng))} предписаний органов государственного "
                   "контроля (надзора) в сфере социального обслуживания не выдано.</p>\n")
    elif k == "nok":
        out.append("<p>Результаты независимой оценки качества условий оказания услуг размещены на официальном сайте "
                   "bus.gov.ru. План по устранению недостатков, выявленных в ходе независимой оценки, выполнен.</p>\n")
    elif k == "forms":
        out.append("<ul><li>социальное обслуживание на дому;</li><li>полустационарная форма социального обслуживания;"
                   "</li><li>срочные социальные услуги.</li></ul>\n")
    elif k == "kinds":
        out.append("<ul>" + "".join(f"<li>{esc(s)};</li>" for s in SERVICE_KINDS) + "</ul>\n")
    elif k == "tariffs":
        docs = [d for d in site_docs if d[0] == "tarify.docx"]
        if docs:
            out.append("<p>Тарифы утверждены приказом министерства:</p>\n" + doc_list(docs))
    elif k == "places":
        out.append(table(["Форма социального обслуживания", "За счёт бюджета", "За плату", "Дата обновления"],
                         [["Социальное обслуживание на дому", str(rng.randint(0, 15)), str(rng.randint(0, 5)), "01.11.2025"],
                          ["Полустационарная форма", str(rng.randint(0, 10)), str(rng.randint(0, 5)), "01.11.2025"]]))
    elif k == "access":
        out.append("<p>В учреждении обеспечено сопровождение инвалидов по зрению и оказание им помощи. Приказом "
                   "директора назначены ответственные за сопровождение инвалидов; проведено инструктирование персонала "
                   "по вопросам доступности. Услуги сурдопереводчика предоставляются по договору с региональным "
                   "отделением Всероссийского общества глухих. Возможно социальное обслуживание на дому.</p>\n")
    elif k == "reception":
        out.append("""<form class="reception-form" action="/priemnaya/" method="post">
<div class="form-row"><label for="fio">Фамилия, имя, отчество</label><input id="fio" name="fio" type="text" required></div>
<div class="form-row"><label for="mail">Адрес электронной почты</label><input id="mail" name="email" type="email" required></div>
<div class="form-row"><label for="msg">Текст обращения</label><textarea id="msg" name="message" rows="6" required></textarea></div>
<div class="form-row"><button type="submit">Отправить обращение</button></div>
</form>
<p class="note">Обращения рассматриваются в течение 30 дней в соответствии с 59-ФЗ.</p>
""")
    elif k == "faq":
        out.append('<dl class="faq">' + "".join(
            f"<dt>{esc(q)}</dt><dd>{esc(rng.choice(SENTENCES))}</dd>" for q in
            ("Как получить социальные услуги на дому?", "Сколько стоит обслуживание?", "Какие документы нужны?",
             "Можно ли отказаться от услуг?")) + "</dl>\n")
    elif k == "contacts":
        out.append(f"<p>Адрес: {esc(org.address)}</p>\n<p>Телефон приёмной: <a href=\"tel:{org.phone_href}\">"
                   f"{esc(org.phone)}</a></p>\n<p>E-mail: <a href=\"mailto:{org.email}\">{esc(org.email)}</a></p>\n"
                   f"<p>Режим работы: {esc(org.hours)}</p>\n")
    elif k == "news":
        out.append(f'<p class="date">{esc(page.date)}</p>\n')
    if page.children:
        out.append(link_list(page.children))
    if page.docs:
        out.append("<p>Документы:</p>\n" + doc_list(page.docs))
    return out


def filler(rng: random.Random, org: Org, page: Page):
    """Endless content to append until the page reaches its size: rows for table pages, paragraphs otherwise."""
    k = page.kind
    if k == "staff":
        yield table_open(["ФИО", "Должность", "Образование", "Квалификация", "Стаж работы"])
        while True:
            yield (f"<tr><td>{esc(person(rng))}</td><td>{esc(rng.choice(POSITIONS))}</td><td>{esc(rng.choice(EDUCATION))}</td>"
                   f"<td>{rng.choice(['первая', 'высшая', 'без категории'])} категория</td><td>{rng.randint(1, 35)} лет</td></tr>\n")
    if k == "tariffs":
        yield table_open(["№", "Наименование социальной услуги", "Единица", "Тариф, руб."])
        n = 0
        while True:
            n += 1
            yield (f"<tr><td>{n}</td><td>{esc(rng.choice(SERVICES))}</td><td>1 услуга</td>"
                   f"<td>{rng.randint(20, 900)},{rng.randint(0, 99):02d}</td></tr>\n")
    if k == "numbers":
        yield table_open(["Вид социальных услуг", "Форма обслуживания", "За счёт бюджета", "По договорам"])
        while True:
            yield (f"<tr><td>{esc(rng.choice(SERVICE_KINDS))}</td><td>{rng.choice(['на дому', 'полустационарная'])}</td>"
                   f"<td>{rng.randint(5, 900)}</td><td>{rng.randint(0, 120)}</td></tr>\n")
    n = 0
    while True:
        n += 1
        if n % 5 == 0:
            yield f"<h2>{esc(rng.choice(NEWS_EVENTS + ARTICLES))}</h2>\n"
        if n % 9 == 0:
            yield table(["Услуга", "Периодичность", "Срок"],
                        [[rng.choice(SERVICES), rng.choice(["ежедневно", "2 раза в неделю", "по необходимости"]),
                          rng.choice(["30 минут", "1 час", "в день обращения"])] for _ in range(rng.randint(4, 10))])
        yield paragraph(rng)


def table_open(header: list[str]) -> str:
    return "<table>\n<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>\n"


def render_page(rng: random.Random, org: Org, pages: list[Page], menu: str, news: list[Page], page: Page,
                encoding: str, site_docs, related: list[Page]) -> bytes:
    charset = "windows-1251" if encoding == "cp1251" else "UTF-8"

    def enc(s: str) -> bytes:
        return s.encode(encoding, errors="xmlcharrefreplace")

    crumbs = '<div class="breadcrumbs"><a href="/">Главная</a>'
    if page.parent and page.parent != "/":
        parent = next((p for p in pages if p.path == page.parent), None)
        if parent:
            crumbs += f' / <a href="{parent.path}">{esc(parent.title)}</a>'
    crumbs += f" / <span>{esc(page.title)}</span></div>\n"
    head = enc(render_chrome_head(org, page, charset) + render_header(org, menu) + crumbs
               + f'<div class="main-wrap">\n<div class="content" id="workarea">\n<h1>{esc(page.title)}</h1>\n')
    tail_html = ""
    if related and not page.stub:
        tail_html += "<h2>Читайте также</h2>\n" + link_list(related)
    tail_html += "</div>\n" + render_sidebar(org, news) + "</div>\n" + render_footer(org, pages)
    tail = enc(tail_html)
    parts = [enc(s) for s in content_head(rng, org, page, site_docs)]
    size = len(head) + len(tail) + sum(map(len, parts))
    if not page.stub:
        target = rng.randint(20_000, 80_000)
        table_open_ = False
        for piece in filler(rng, org, page):
            if size >= target:
                break
            b = enc(piece)
            table_open_ = table_open_ or piece.startswith("<table>\n<tr><th>") and page.kind in ("staff", "tariffs", "numbers")
            parts.append(b)
            size += len(b)
        if table_open_:
            parts.append(b"</table>\n")
    return head + b"".join(parts) + tail


def make_documents(docs_dir: Path) -> None:
    """The shared documents: copied from the test sites, plus a DOCX made here with python-docx."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    for name, _ in SHARED_DOCS:
        dest = docs_dir / name
        if dest.exists():
            continue
        src = SAMPLE_DOCS / name
        if src.exists():
            shutil.copyfile(src, dest)
            continue
        if name.endswith(".docx"):
            _make_docx(dest)
        else:
            dest.write_bytes(_minimal_pdf("Ustav uchrezhdeniya (benchmark sample document)"))


def _make_docx(dest: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Тарифы на социальные услуги"
    d.add_heading("Тарифы на социальные услуги, предоставляемые поставщиками социальных услуг", level=1)
    d.add_paragraph("Утверждены приказом министерства социальной защиты населения. Тарифы применяются при "
                    "расчёте платы за предоставление социальных услуг в форме социального обслуживания на дому "
                    "и в полустационарной форме.")
    t = d.add_table(rows=1, cols=3)
    t.rows[0].cells[0].text, t.rows[0].cells[1].text, t.rows[0].cells[2].text = "№", "Социальная услуга", "Тариф, руб."
    rng = random.Random(7)
    for i, s in enumerate(SERVICES, 1):
        row = t.add_row().cells
        row[0].text, row[1].text, row[2].text = str(i), s, f"{rng.randint(20, 900)},{rng.randint(0, 99):02d}"
    d.save(str(dest))


def _minimal_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF with an ASCII text layer (fallback when the test documents are missing)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def make_site(folder: Path, index: int, n_pages: int, seed: int, encoding: str, docs_dir: Path) -> dict:
    rng = random.Random(f"nok-bench:{seed}:{index}")
    org = Org(rng, index)
    pages = plan_site(rng, n_pages)
    by_path = {p.path: p for p in pages}
    n_docs = rng.randint(3, len(SHARED_DOCS))
    site_docs = sorted(rng.sample(SHARED_DOCS, n_docs))
    # A few other pages also link documents (news about a new charter, the paid-services page …).
    for p in rng.sample(pages, min(len(pages), 3)):
        if p.kind not in ("documents", "home") and not p.stub:
            p.docs = [rng.choice(site_docs)]
    news = [p for p in pages if p.kind == "news"]
    menu = render_menu(pages)
    content_pages = [p for p in pages if p.kind in ("news", "article", "department", "service", "text")]
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    for p in pages:
        related = [] if not content_pages else rng.sample(content_pages, min(len(content_pages), rng.randint(2, 5)))
        related = [r for r in related if r is not p]
        body = render_page(rng, org, pages, menu, news, p, encoding, site_docs, related)
        out = folder / p.path.strip("/") / "index.html" if p.path != "/" else folder / "index.html"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(body)
        total += len(body)
    (folder / "docs").mkdir(exist_ok=True)
    doc_bytes = 0
    for name, _ in site_docs:
        dest = folder / "docs" / name
        try:
            os.link(docs_dir / name, dest)
        except OSError:
            shutil.copyfile(docs_dir / name, dest)
        doc_bytes += dest.stat().st_size
    (folder / "robots.txt").write_text("User-agent: *\nDisallow: /bitrix/\nDisallow: /search/\n", encoding="ascii")
    assert len(pages) == n_pages or n_pages < len(CORE), (len(pages), n_pages)
    return {"pages": len(pages), "documents": len(site_docs), "html_bytes": total, "doc_bytes": doc_bytes,
            "encoding": "windows-1251" if encoding == "cp1251" else "utf-8",
            "stubs": sum(p.stub for p in pages), "missing_sections": sum(c[0] not in by_path for c in CORE)}


def corpus_params(sites: int, pages: int, seed: int) -> dict:
    return {"sites": sites, "pages": pages, "seed": seed, "generator_version": GENERATOR_VERSION}


def make_corpus(root: Path, sites: int, pages: int, seed: int, force: bool = False) -> dict:
    """Create (or reuse, when its manifest matches) the corpus under `root`; return the manifest."""
    root = Path(root)
    manifest_path = root / "manifest.json"
    params = corpus_params(sites, pages, seed)
    if not force and manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("params") == params:
                manifest["reused"] = True
                return manifest
        except (OSError, ValueError):
            pass
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    docs_dir = root / "_docs"
    make_documents(docs_dir)
    rng = random.Random(f"nok-bench:{seed}:encodings")
    n1251 = round(sites * 0.2)
    cp1251 = set(rng.sample(range(sites), n1251)) if sites else set()
    site_info = []
    for i in range(sites):
        name = f"site-{i + 1:03d}"
        info = make_site(root / name, i, pages, seed, "cp1251" if i in cp1251 else "utf-8", docs_dir)
        info["name"] = name
        site_info.append(info)
    manifest = {
        "params": params,
        "sites": site_info,
        "total_pages": sum(s["pages"] for s in site_info),
        "total_documents": sum(s["documents"] for s in site_info),
        "html_bytes": sum(s["html_bytes"] for s in site_info),
        "doc_bytes": sum(s["doc_bytes"] for s in site_info),
        "windows_1251_sites": [s["name"] for s in site_info if s["encoding"] == "windows-1251"],
    }
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    manifest["reused"] = False
    return manifest


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="generate the benchmark corpus only")
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=str(HERE / "work" / "corpus"))
    a = ap.parse_args()
    m = make_corpus(Path(a.out), a.sites, a.pages, a.seed, force=True)
    print(json.dumps({k: v for k, v in m.items() if k != "sites"}, ensure_ascii=False, indent=1))
