"""Generate the binary documents of the test sites and of the demo site.

Run from the repository root (needs /usr/bin/chromium, python-docx, pypdfium2):

    .venv/bin/python tests/sites/make_documents.py          # only missing files
    .venv/bin/python tests/sites/make_documents.py --force  # regenerate everything

* PDF: an HTML file printed by headless Chromium (``--print-to-pdf``), so it has a
  real Cyrillic text layer; the text is checked with pypdfium2 after printing.
* DOCX: made with python-docx (core properties title set).
* JPG: a "scan" drawn on a canvas in headless Chromium and saved as JPEG (no text
  layer, like a real scanned licence).

The generated files are committed; keep each under 100 KB.
"""
from __future__ import annotations

import argparse
import base64
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEMO = REPO / "crawler" / "demo_site"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"]
MAX_SIZE = 100_000

CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: 'DejaVu Serif', 'Liberation Serif', serif; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 14pt; text-align: center; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 5mm 0 2mm; }
p { margin: 0 0 2mm; text-align: justify; }
.right { text-align: right; }
.center { text-align: center; }
table { border-collapse: collapse; width: 100%; font-size: 10pt; }
td, th { border: 1px solid #000; padding: 1mm 2mm; vertical-align: top; }
"""


# ---------------------------------------------------------------- document texts

def ustav(org_full: str, org_nom: str, org_short: str, founder: str, city: str, address: str, approved: str) -> tuple[str, str]:
    title = f"Устав {org_short}"
    body = f"""
<p class="right">УТВЕРЖДЁН<br>{html.escape(approved)}</p>
<h1>Устав {html.escape(org_full)}</h1>
<p class="center">(новая редакция)</p>
<h2>1. Общие положения</h2>
<p>1.1. {html.escape(org_nom)} (далее — Учреждение) является некоммерческой организацией, созданной для
предоставления социальных услуг гражданам, признанным нуждающимися в социальном обслуживании.</p>
<p>1.2. Сокращённое наименование Учреждения: {html.escape(org_short)}.</p>
<p>1.3. Учредителем Учреждения и собственником его имущества является {html.escape(founder)}.
Функции и полномочия учредителя осуществляет {html.escape(founder)}.</p>
<p>1.4. Место нахождения Учреждения: {html.escape(address)}.</p>
<p>1.5. Учреждение является юридическим лицом, имеет самостоятельный баланс, лицевые счета, печать со своим
наименованием, штампы и бланки.</p>
<h2>2. Предмет, цели и виды деятельности</h2>
<p>2.1. Предметом деятельности Учреждения является социальное обслуживание граждан в форме социального
обслуживания на дому и в полустационарной форме социального обслуживания.</p>
<p>2.2. Учреждение предоставляет социально-бытовые, социально-медицинские, социально-психологические,
социально-педагогические, социально-трудовые, социально-правовые услуги, услуги в целях повышения
коммуникативного потенциала получателей социальных услуг, имеющих ограничения жизнедеятельности, а также
срочные социальные услуги.</p>
<p>2.3. Учреждение вправе оказывать социальные услуги за плату и частичную плату в соответствии с
законодательством Российской Федерации.</p>
<h2>3. Организация деятельности и управление Учреждением</h2>
<p>3.1. Единоличным исполнительным органом Учреждения является директор, назначаемый учредителем.</p>
<p>3.2. Структура Учреждения утверждается директором. Учреждение имеет в своём составе отделения социального
обслуживания на дому, отделение срочного социального обслуживания, отделение дневного пребывания.</p>
<h2>4. Имущество и финансовое обеспечение</h2>
<p>4.1. Финансовое обеспечение деятельности Учреждения осуществляется за счёт субсидий из бюджета, а также
доходов от приносящей доход деятельности.</p>
<h2>5. Заключительные положения</h2>
<p>5.1. Изменения в настоящий Устав утверждаются учредителем и подлежат государственной регистрации.</p>
<p class="right">{html.escape(city)}</p>
"""
    return title, body


def egrul(org_full: str, ogrn: str, inn: str, reg_date: str) -> tuple[str, str]:
    title = "Лист записи Единого государственного реестра юридических лиц"
    body = f"""
<p class="center">Федеральная налоговая служба</p>
<h1>Лист записи<br>Единого государственного реестра юридических лиц</h1>
<p>В Единый государственный реестр юридических лиц в отношении юридического лица</p>
<p class="center"><b>{html.escape(org_full)}</b></p>
<p>основной государственный регистрационный номер (ОГРН) {ogrn}</p>
<p>внесена запись о государственной регистрации юридического лица {reg_date}</p>
<table>
<tr><th>№</th><th>Наименование показателя</th><th>Значение показателя</th></tr>
<tr><td>1</td><td>Полное наименование</td><td>{html.escape(org_full)}</td></tr>
<tr><td>2</td><td>ИНН</td><td>{inn}</td></tr>
<tr><td>3</td><td>ОГРН</td><td>{ogrn}</td></tr>
<tr><td>4</td><td>Дата государственной регистрации</td><td>{reg_date}</td></tr>
</table>
<p>Свидетельство о государственной регистрации юридического лица выдано взамен записи в реестре.</p>
"""
    return title, body


def polozhenie_platnye(org_short: str) -> tuple[str, str]:
    title = "Положение о порядке предоставления социальных услуг за плату"
    body = f"""
<p class="right">УТВЕРЖДЕНО<br>приказом директора {html.escape(org_short)}<br>от 10.01.2025 № 5-од</p>
<h1>Положение о порядке предоставления социальных услуг за плату и частичную плату</h1>
<h2>1. Общие положения</h2>
<p>1.1. Настоящее Положение определяет порядок предоставления социальных услуг за плату и частичную плату
получателям социальных услуг в соответствии с Федеральным законом от 28.12.2013 № 442-ФЗ
«Об основах социального обслуживания граждан в Российской Федерации».</p>
<p>1.2. Социальные услуги предоставляются бесплатно, если на дату обращения среднедушевой доход получателя
социальных услуг ниже предельной величины или равен предельной величине среднедушевого дохода.</p>
<h2>2. Порядок оплаты</h2>
<p>2.1. Размер ежемесячной платы за предоставление социальных услуг рассчитывается на основе тарифов на
социальные услуги, но не может превышать 50 процентов разницы между величиной среднедушевого дохода
получателя социальной услуги и предельной величиной среднедушевого дохода.</p>
<p>2.2. Плата вносится ежемесячно не позднее 10 числа месяца, следующего за месяцем оказания услуг, на
основании акта о предоставлении социальных услуг.</p>
<h2>3. Дополнительные платные услуги</h2>
<p>3.1. Перечень и стоимость дополнительных платных услуг утверждаются прейскурантом.</p>
"""
    return title, body


def plan_fhd(org_full: str, year: int) -> tuple[str, str]:
    title = f"План финансово-хозяйственной деятельности на {year} год"
    body = f"""
<p class="right">УТВЕРЖДАЮ<br>Директор<br>______________</p>
<h1>План финансово-хозяйственной деятельности на {year} год<br>и плановый период {year + 1} и {year + 2} годов</h1>
<p class="center">{html.escape(org_full)}</p>
<table>
<tr><th>Наименование показателя</th><th>Код строки</th><th>{year} год, руб.</th></tr>
<tr><td>Остаток средств на начало текущего финансового года</td><td>0001</td><td>312 450,00</td></tr>
<tr><td>Доходы, всего</td><td>1000</td><td>48 915 300,00</td></tr>
<tr><td>в том числе: субсидии на финансовое обеспечение выполнения государственного задания</td><td>1210</td><td>44 120 000,00</td></tr>
<tr><td>доходы от оказания услуг, работ (плата за социальные услуги)</td><td>1220</td><td>4 795 300,00</td></tr>
<tr><td>Расходы, всего</td><td>2000</td><td>49 227 750,00</td></tr>
<tr><td>в том числе: на выплаты персоналу</td><td>2100</td><td>41 880 000,00</td></tr>
<tr><td>закупка товаров, работ, услуг</td><td>2600</td><td>7 347 750,00</td></tr>
</table>
"""
    return title, body


def wrap(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")


# ---------------------------------------------------------------- writers

def make_pdf(out: Path, title: str, body: str, must_contain: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "doc.html"
        src.write_text(wrap(title, body), encoding="utf-8")
        pdf = Path(tmp) / "out.pdf"
        subprocess.run([CHROMIUM, *CHROME_FLAGS, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", src.as_uri()],
                       check=True, capture_output=True, timeout=120)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, out)
    text = pdf_text(out)
    norm = re.sub(r"\s+", " ", text)
    if must_contain not in norm:
        raise SystemExit(f"{out}: text layer lacks {must_contain!r}; got {norm[:300]!r}")


def pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(str(path))
    try:
        parts = []
        for i in range(len(doc)):
            page = doc[i]
            tp = page.get_textpage()
            parts.append(tp.get_text_range())
            tp.close()
            page.close()
        return "\n".join(parts)
    finally:
        doc.close()


def make_docx(out: Path, title: str, org: str, paragraphs: list[tuple[str, str]]) -> None:
    import docx
    from docx.shared import Pt
    d = docx.Document()
    d.core_properties.title = title
    d.core_properties.author = org
    style = d.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(12)
    p = d.add_paragraph("УТВЕРЖДЕНЫ\nприказом директора от 09.01.2025 № 3-од")
    p.alignment = 2  # right
    d.add_heading(title, level=1)
    d.add_paragraph(org)
    for kind, text in paragraphs:
        if kind == "h":
            d.add_heading(text, level=2)
        else:
            d.add_paragraph(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(out))
    check = docx.Document(str(out))
    if title not in "\n".join(p.text for p in check.paragraphs):
        raise SystemExit(f"{out}: title not found in the saved document")


RULES = [
    ("h", "1. Общие положения"),
    ("p", "1.1. Настоящие Правила внутреннего распорядка для получателей социальных услуг разработаны в соответствии "
          "с Федеральным законом от 28.12.2013 № 442-ФЗ и уставом учреждения и обязательны для всех получателей "
          "социальных услуг."),
    ("p", "1.2. Правила определяют права и обязанности получателей социальных услуг, порядок посещения учреждения, "
          "распорядок дня в отделении дневного пребывания."),
    ("h", "2. Распорядок дня в отделении дневного пребывания"),
    ("p", "08:30–09:00 — приём получателей социальных услуг; 09:00–09:30 — завтрак; 09:30–12:30 — занятия, "
          "реабилитационные мероприятия; 12:30–13:30 — обед; 13:30–16:30 — досуговые мероприятия."),
    ("h", "3. Права и обязанности получателей социальных услуг"),
    ("p", "3.1. Получатели социальных услуг имеют право на уважительное и гуманное отношение, на получение "
          "бесплатно в доступной форме информации о своих правах и обязанностях, о видах социальных услуг, сроках, "
          "порядке и об условиях их предоставления."),
    ("p", "3.2. Получатели социальных услуг обязаны соблюдать настоящие Правила, бережно относиться к имуществу "
          "учреждения, своевременно сообщать об изменении обстоятельств, влияющих на предоставление услуг."),
    ("h", "4. Заключительные положения"),
    ("p", "4.1. Правила внутреннего трудового распорядка работников и коллективный договор утверждаются отдельными "
          "локальными актами учреждения."),
]


JPEG_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<canvas id="c" width="%(w)d" height="%(h)d"></canvas><pre id="out"></pre>
<script>
var cv = document.getElementById('c'), c = cv.getContext('2d');
c.fillStyle = '#f4f1e8'; c.fillRect(0, 0, cv.width, cv.height);
c.strokeStyle = '#6a5a3a'; c.lineWidth = 6; c.strokeRect(18, 18, cv.width - 36, cv.height - 36);
c.lineWidth = 1; c.strokeRect(28, 28, cv.width - 56, cv.height - 56);
c.fillStyle = '#222'; c.textAlign = 'center';
var lines = %(lines)s, y = 90;
for (var i = 0; i < lines.length; i++) {
  c.font = lines[i][0] + 'px serif'; c.fillText(lines[i][1], cv.width / 2, y); y += lines[i][0] * 1.9;
}
c.beginPath(); c.strokeStyle = '#3a4fa0'; c.lineWidth = 3; c.arc(cv.width - 120, cv.height - 110, 55, 0, 7); c.stroke();
// scanner noise
var seed = 7; function rnd() { seed = (seed * 16807) %% 2147483647; return seed / 2147483647; }
for (var k = 0; k < 2500; k++) { c.fillStyle = 'rgba(0,0,0,' + (rnd() * 0.15) + ')';
  c.fillRect(rnd() * cv.width, rnd() * cv.height, 1.5, 1.5); }
document.getElementById('out').textContent = cv.toDataURL('image/jpeg', %(q)s);
</script></body></html>"""


def make_jpg(out: Path, lines: list[tuple[int, str]], w: int = 560, h: int = 780, quality: float = 0.55) -> None:
    import json
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "scan.html"
        src.write_text(JPEG_PAGE % {"w": w, "h": h, "lines": json.dumps(lines, ensure_ascii=False), "q": quality},
                       encoding="utf-8")
        res = subprocess.run([CHROMIUM, *CHROME_FLAGS, "--dump-dom", src.as_uri()],
                             check=True, capture_output=True, timeout=120, text=True)
    m = re.search(r"data:image/jpeg;base64,([A-Za-z0-9+/=]+)", res.stdout)
    if not m:
        raise SystemExit(f"{out}: chromium produced no JPEG")
    data = base64.b64decode(m.group(1))
    if not data.startswith(b"\xff\xd8\xff"):
        raise SystemExit(f"{out}: not a JPEG")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)


# ---------------------------------------------------------------- the documents of each site

def jobs() -> list[tuple[Path, callable]]:
    full = HERE / "kcson_full" / "docs"
    full_org = ("Государственное бюджетное учреждение социального обслуживания «Комплексный центр социального "
                "обслуживания населения Заречного района»")
    full_short = "ГБУ СО «КЦСОН Заречного района»"
    full_founder = "Министерство социальной защиты населения Северной области"
    full_addr = "162010, Северная область, г. Заречный, ул. Садовая, д. 14"

    c1251 = HERE / "kcson_1251" / "docs"
    org_1251 = ("Муниципальное бюджетное учреждение «Комплексный центр социального обслуживания населения "
                "города Краснолесья»")

    robots = HERE / "kcson_robots" / "dokumenty"
    org_rob = ("Государственное автономное учреждение социального обслуживания «Комплексный центр социального "
               "обслуживания населения Приморского района»")

    demo = DEMO / "docs"
    demo_org = ("Государственное бюджетное учреждение социального обслуживания «Комплексный центр социального "
                "обслуживания населения Демонстрационного района»")
    demo_short = "ГБУ СО «КЦСОН Демонстрационного района»"

    ustav_phrase = "Устав государственного бюджетного учреждения"
    return [
        (full / "ustav.pdf", lambda p: make_pdf(p, *ustav(
            "государственного бюджетного учреждения социального обслуживания «Комплексный центр социального "
            "обслуживания населения Заречного района»", full_org, full_short, full_founder, "г. Заречный, 2024 год",
            full_addr, "приказом Министерства социальной защиты населения Северной области от 12.03.2024 № 214"),
            must_contain=ustav_phrase)),
        (full / "vypiska-egrul.pdf", lambda p: make_pdf(p, *egrul(full_org, "1023500000014", "3525000014", "14.11.2002"),
                                                        must_contain="Лист записи")),
        (full / "polozhenie-platnye-uslugi.pdf", lambda p: make_pdf(p, *polozhenie_platnye(full_short),
                                                                    must_contain="социальных услуг за плату")),
        (full / "plan-fhd-2025.pdf", lambda p: make_pdf(p, *plan_fhd(full_org, 2025),
                                                        must_contain="План финансово-хозяйственной деятельности")),
        (full / "pravila-vnutrennego-rasporyadka.docx", lambda p: make_docx(
            p, "Правила внутреннего распорядка для получателей социальных услуг", full_org, RULES)),
        (full / "licenziya-skan.jpg", lambda p: make_jpg(p, [
            (26, "ЛИЦЕНЗИЯ"), (16, "на осуществление медицинской деятельности"), (14, "№ Л041-01021-35/00345678"),
            (14, "от 21 июня 2021 г."), (13, "выдана"), (13, "ГБУ СО «КЦСОН Заречного района»"),
            (12, "Министерство здравоохранения Северной области"), (12, "Лицензия действует бессрочно")])),

        (c1251 / "ustav.pdf", lambda p: make_pdf(p, *ustav(
            "муниципального бюджетного учреждения «Комплексный центр социального обслуживания населения города "
            "Краснолесья»", org_1251, "МБУ «КЦСОН г. Краснолесья»", "Администрация города Краснолесья", "г. Краснолесье, 2016 год",
            "423100, г. Краснолесье, пр-т Мира, д. 3", "постановлением Администрации города Краснолесья от 02.02.2016 № 77"),
            must_contain="Устав муниципального бюджетного учреждения")),

        (robots / "ustav.pdf", lambda p: make_pdf(p, *ustav(
            "государственного автономного учреждения социального обслуживания «Комплексный центр социального "
            "обслуживания населения Приморского района»", org_rob, "ГАУ СО «КЦСОН Приморского района»",
            "Министерство социального развития Приморской области", "пос. Приморский, 2023 год",
            "238500, Приморская область, пос. Приморский, ул. Морская, д. 2",
            "приказом Министерства социального развития Приморской области от 05.05.2023 № 301"),
            must_contain="Устав государственного автономного учреждения")),
        (robots / "pravila-vnutrennego-rasporyadka.docx", lambda p: make_docx(
            p, "Правила внутреннего распорядка для получателей социальных услуг", org_rob, RULES)),

        (demo / "ustav.pdf", lambda p: make_pdf(p, *ustav(
            "государственного бюджетного учреждения социального обслуживания «Комплексный центр социального "
            "обслуживания населения Демонстрационного района»", demo_org, demo_short,
            "Министерство социальной защиты Демонстрационной области", "г. Демонстрационный, 2024 год",
            "100000, Демонстрационная область, г. Демонстрационный, ул. Примерная, д. 1",
            "приказом Министерства социальной защиты Демонстрационной области от 15.04.2024 № 100"),
            must_contain=ustav_phrase)),
        (demo / "vypiska-egrul.pdf", lambda p: make_pdf(p, *egrul(demo_org, "1000000000001", "0000000001", "01.02.2003"),
                                                        must_contain="Лист записи")),
        (demo / "pravila-vnutrennego-rasporyadka.docx", lambda p: make_docx(
            p, "Правила внутреннего распорядка для получателей социальных услуг", demo_org, RULES)),
        (demo / "licenziya-skan.jpg", lambda p: make_jpg(p, [
            (26, "ЛИЦЕНЗИЯ"), (16, "на осуществление медицинской деятельности"), (14, "№ Л041-00000-00/00000001"),
            (14, "от 1 февраля 2022 г."), (13, "выдана"), (13, demo_short),
            (12, "Министерство здравоохранения Демонстрационной области"), (12, "Лицензия действует бессрочно")])),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true", help="regenerate files that already exist")
    args = ap.parse_args()
    for out, make in jobs():
        if out.exists() and not args.force:
            print(f"keep  {out.relative_to(REPO)}")
            continue
        make(out)
        size = out.stat().st_size
        print(f"wrote {out.relative_to(REPO)} ({size} bytes)")
        if size > MAX_SIZE:
            raise SystemExit(f"{out}: {size} bytes, over {MAX_SIZE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
