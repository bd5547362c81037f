"""Channels that are pages: an on-site questionnaire (ch_opinion), a page that only has to open (ch_other) and
the FAQ with its answers counted (ch_faq)."""
from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote, urlsplit


from crawler.control import dom_scripts as js
from crawler.control.scenario import Step, Verdict, call_step
from crawler.control.context import RunContext


@call_step("survey_content")
async def survey_content(ctx: RunContext, step: Step) -> None:
    """An on-site questionnaire page: count form fields, questions and embedded survey frames."""
    frag = urlsplit(ctx.candidate.url).fragment if ctx.candidate else ""
    r = await ctx.page.evaluate(js.SURVEY_CONTENT, {"anchor": unquote(frag) if frag not in ("", "!", "/") else ""})
    if r.get("missing_anchor"):
        raise Verdict(False, f"ссылка ведёт на якорь #{frag}, которого нет на странице {ctx.page.url}")
    n = r["fields"] + r["questions"] + r["frames"]
    ctx.vars.update(survey_items=n, survey_fields=r["fields"], survey_questions=r["questions"], title=r["title"])
    ctx.details.update(survey={"fields": r["fields"], "questions": r["questions"], "frames": r["frames"]})
    ctx.log(f"на странице анкеты: полей для ответа {r['fields']}, вопросов {r['questions']}, встроенных форм {r['frames']}")


@call_step("page_opens")
async def page_opens(ctx: RunContext, step: Step) -> None:
    """Nothing more to look at: the on-site page opened (used by ch_other for an on-site chat page)."""
    ctx.vars.setdefault("title", "")


# ---- FAQ (ch_faq) ------------------------------------------------------------------------------------
@call_step("expand_and_count_faq")
async def expand_and_count_faq(ctx: RunContext, step: Step, min_answer: int = 20) -> None:
    page = ctx.page
    opened = await page.evaluate(js.EXPAND_FAQ)
    if opened["clicked"]:
        await asyncio.sleep(0.3)           # accordions animate
    if opened["details"] or opened["clicked"]:
        ctx.log(f"раскрыто блоков с ответами: {opened['details'] + opened['clicked']}"
                + (f" (нажатием на заголовок: {opened['clicked']})" if opened["clicked"] else ""))
    r = await page.evaluate(js.COUNT_FAQ, {"min_answer": min_answer})
    count, examples = r["count"], r["examples"]
    if not count:
        # Questions as links to answer pages: the stored crawl says whether those pages hold an answer.
        for link in r["question_links"]:
            target = ctx.site.page(link["href"])
            if target is not None and target.status < 400 and len(target.main_text) >= len(link["q"]) + min_answer:
                count += 1
                if len(examples) < 3:
                    examples.append({"q": link["q"], "a": f"ответ на отдельной странице {target.url}"})
        if count:
            ctx.log(f"вопросы — ссылки на страницы с ответами (по сохранённому обходу): {count}")
    ctx.vars.update(qa_count=count, title=r["title"])
    if examples:
        ctx.vars["qa_example"] = examples[0]["q"]
    ctx.details["faq"] = {"questions_with_answers": count, "examples": examples}
    ctx.log(f"найдено вопросов с ответами: {count}")
