"""JavaScript run inside the page by the control checks (page.evaluate / locator.evaluate).

Each snippet is one arrow function that reads the DOM and returns plain JSON; elements the Python side
needs later are marked with a `data-nok-*` attribute and found again with a CSS selector. Texts are
returned trimmed and short: page content is untrusted and only a little of it goes into reports.
"""
from __future__ import annotations

# Shared helpers, prepended to the snippets that need them.
_HELPERS = r"""
const clean = (t) => (t || "").replace(/\s+/g, " ").trim();
const short = (t, n) => { t = clean(t); return t.length > n ? t.slice(0, n - 1) + "…" : t; };
const visible = (el) => {
  if (!el || !el.getBoundingClientRect) return false;
  const r = el.getBoundingClientRect();
  if (r.width < 2 || r.height < 2) return false;
  if (el.checkVisibility) return el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
  const s = getComputedStyle(el);
  return s.visibility !== "hidden" && s.display !== "none";
};
const mainRoot = () => document.querySelector("main, [role=main], article, #content, .content") || document.body;
const heading = () => { const h = document.querySelector("main h1, h1"); return short((h && h.textContent) || document.title, 120); };
const inChrome = (el) => !!el.closest("header, footer, nav, aside, [role=navigation], [role=banner], [role=contentinfo]");
const labelOf = (el) => {
  const lab = el.labels && el.labels[0] ? el.labels[0].innerText : "";
  return short(lab || el.getAttribute("aria-label") || el.placeholder || el.title || el.name || el.id || el.tagName.toLowerCase(), 60);
};
"""

# ---- feedback form (ch_e_service) -----------------------------------------------------------------
# args: {placeholders: [lowercase phrases], widgets: {host: label}}
# Marks the chosen form (or form-less container) with data-nok-el="form".
FIND_FEEDBACK_FORM = "(args) => {" + _HELPERS + r"""
  const TEXTY = new Set(["text", "email", "tel", "search", "url", "number", ""]);
  const fieldsOf = (root) => [...root.querySelectorAll("input, textarea, select")].filter(
    (e) => !["hidden", "submit", "button", "image", "reset"].includes((e.type || "").toLowerCase()));
  const describe = (root) => {
    const fs = fieldsOf(root);
    const ta = fs.filter((e) => e.tagName === "TEXTAREA").length;
    const tx = fs.filter((e) => e.tagName === "INPUT" && TEXTY.has((e.type || "").toLowerCase())).length;
    const pw = fs.some((e) => (e.type || "").toLowerCase() === "password");
    const search = root.getAttribute("role") === "search" || (!ta && fs.length > 0 && fs.length <= 2 &&
      fs.every((e) => e.type === "search" || /^(q|s|search|query|text|story)$/i.test(e.name || "")));
    return {ta, tx, pw, search, n: fs.length};
  };
  const good = [];
  for (const f of document.querySelectorAll("form")) {
    const d = describe(f);
    if (d.pw || d.search || !(d.ta >= 1 || d.tx >= 2)) continue;
    good.push({el: f, d, kind: "form"});
  }
  if (!good.length) {
    // A form built without <form>: a textarea and a button inside one block.
    for (const ta of document.querySelectorAll("textarea")) {
      if (ta.closest("form")) continue;
      let box = ta.parentElement;
      while (box && box !== document.body && !box.querySelector("button, [role=button], input[type=submit], input[type=button]"))
        box = box.parentElement;
      if (box && box !== document.body) { good.push({el: box, d: describe(box), kind: "container"}); break; }
    }
  }
  // A textarea first (an appeal needs its text), then a visible form, then one outside header/footer.
  good.sort((a, b) => (Math.min(b.d.ta, 1) - Math.min(a.d.ta, 1)) || (visible(b.el) - visible(a.el)) || (inChrome(a.el) - inChrome(b.el)));
  const out = {found: false, kind: "", visible: false, fields: 0, textarea: false, captcha: false,
               widget: null, placeholder: ""};
  if (good.length) {
    const g = good[0];
    document.querySelectorAll("[data-nok-el=form]").forEach((e) => e.removeAttribute("data-nok-el"));
    g.el.setAttribute("data-nok-el", "form");
    out.found = true; out.kind = g.kind; out.visible = visible(g.el); out.fields = g.d.n;
    out.textarea = g.d.ta > 0;
    out.captcha = /captcha|капч/i.test(g.el.innerHTML.slice(0, 200000));
    return out;
  }
  // An off-site widget (ПОС «Решаем вместе», an online consultant).
  const srcs = [...document.querySelectorAll("script[src], iframe[src]")].map((e) => e.src)
    .concat([...document.querySelectorAll("script:not([src])")].map((e) => e.textContent.slice(0, 5000)));
  for (const [host, label] of Object.entries(args.widgets || {})) {
    if (!srcs.some((s) => s.includes(host))) continue;
    const frames = [...document.querySelectorAll("iframe[src]")].filter((f) => f.src.includes(host) && visible(f));
    let rendered = frames.length > 0;
    if (!rendered && host === "pos.gosuslugi.ru") {
      const w = document.getElementById("js-show-iframe-wrapper");
      rendered = typeof window.Widget === "function" && !!w && visible(w);
    }
    out.widget = {host, label, rendered};
    return out;
  }
  const text = clean(mainRoot().innerText).toLowerCase();
  for (const p of args.placeholders || []) {
    const i = text.indexOf(p);
    if (i >= 0) {
      const start = Math.max(text.lastIndexOf(".", i) + 1, i - 80);
      out.placeholder = short(clean(mainRoot().innerText).slice(start, i + p.length + 40).split(/(?<=\.)\s/)[0], 160);
      return out;
    }
  }
  return out;
}"""

# Classify the fields of the marked form: every field gets data-nok-field="<i>".
CLASSIFY_FIELDS = "(root) => {" + _HELPERS + r"""
  let fields = [...root.querySelectorAll("input, textarea, select")];
  if (root.tagName === "FORM" && root.id)
    fields = fields.concat([...document.querySelectorAll(`[form="${CSS.escape(root.id)}"]`)].filter((e) => !root.contains(e)));
  const out = [];
  fields.forEach((e, i) => {
    const type = (e.type || "").toLowerCase();
    if (["hidden", "submit", "button", "image", "reset"].includes(type)) return;
    e.setAttribute("data-nok-field", String(i));
    const hints = [e.name, e.id, e.placeholder, e.getAttribute("aria-label"), e.getAttribute("autocomplete"),
                   e.labels && e.labels[0] ? e.labels[0].innerText : ""].join(" ").toLowerCase();
    let kind = "other";
    if (type === "checkbox") kind = /соглас|персональн|agree|consent|policy|политик|152/.test(hints) ? "consent" : "checkbox";
    else if (type === "radio") kind = "radio";
    else if (e.tagName === "SELECT") kind = "select";
    else if (type === "file") kind = "file";
    else if (/captcha|капч|код с картинки|защитный код|проверочный код/.test(hints)) kind = "captcha";
    else if (e.tagName === "TEXTAREA") kind = /тема|subject/.test(hints) && !/текст|сообщ|обращ/.test(hints) ? "subject" : "message";
    else if (type === "email" || /e-?mail|почт/.test(hints)) kind = "email";
    else if (type === "tel" || /phone|\btel\b|телефон/.test(hints)) kind = "phone";
    else if (/фио|\bfio\b|name|имя|фамили|отчеств/.test(hints)) kind = "name";
    else if (/тема|subject/.test(hints)) kind = "subject";
    else if (/message|обращени|вопрос|сообщени|текст|comment|коммент|question/.test(hints)) kind = "message";
    else if (["date", "datetime-local", "month", "week", "time"].includes(type)) kind = "date";
    else if (type === "number" || type === "range") kind = "number";
    let part = "";
    if (/фио|\bfio\b|full.?name/.test(hints) || (/фамили/.test(hints) && /отчеств/.test(hints))) part = "";
    else if (/фамили|surname|last.?name/.test(hints)) part = "last";
    else if (/отчеств|patronymic|middle.?name|second.?name/.test(hints)) part = "middle";
    else if (/(^|\s)имя|first.?name/.test(hints) && !/фио/.test(hints)) part = "first";
    out.push({i, kind, part, type: type || e.tagName.toLowerCase(), label: labelOf(e), required: e.required,
              visible: visible(e), editable: !e.disabled && !e.readOnly && !e.matches(":disabled"),
              empty: type === "checkbox" || type === "radio" ? !e.checked : !e.value,
              name: e.name || ""});
  });
  return out;
}"""

# The submit control of the marked form: marks it data-nok-el="submit".
FIND_SUBMIT = "(root) => {" + _HELPERS + r"""
  let cands = [...root.querySelectorAll("button, input[type=submit], input[type=image], input[type=button], [role=button], a.btn, a.button")];
  if (root.tagName === "FORM" && root.id)
    cands = cands.concat([...document.querySelectorAll(`button[form="${CSS.escape(root.id)}"], input[form="${CSS.escape(root.id)}"]`)]);
  const textOf = (e) => short(e.innerText || e.value || e.getAttribute("aria-label") || e.title || "", 60);
  const isSubmit = (e) => (e.tagName === "BUTTON" && (e.getAttribute("type") || "submit").toLowerCase() === "submit")
    || (e.tagName === "INPUT" && ["submit", "image"].includes((e.type || "").toLowerCase()));
  let el = cands.find(isSubmit) || cands.find((e) => /отправ|направ|задать|спросить|send|submit/i.test(textOf(e)));
  if (!el) return {found: false};
  document.querySelectorAll("[data-nok-el=submit]").forEach((e) => e.removeAttribute("data-nok-el"));
  el.setAttribute("data-nok-el", "submit");
  return {found: true, text: textOf(el) || "Отправить", is_submit: isSubmit(el)};
}"""

# Is a control usable: not disabled (attribute, fieldset, aria-disabled, a "disabled" class), visible.
CONTROL_STATE = "(el) => {" + _HELPERS + r"""
  const disabled = !!(el.disabled || el.matches(":disabled") || el.getAttribute("aria-disabled") === "true"
    || /(^|\s)(disabled|is-disabled|btn-disabled)(\s|$)/.test(el.className || "")
    || getComputedStyle(el).pointerEvents === "none");
  return {disabled, visible: visible(el)};
}"""

# Client-side validation of the marked form after filling (never submits).
VALIDITY = "(root) => {" + _HELPERS + r"""
  const fields = [...root.querySelectorAll("input, textarea, select")].concat(
    root.tagName === "FORM" && root.id ? [...document.querySelectorAll(`[form="${CSS.escape(root.id)}"]`)] : []);
  const invalid = [];
  for (const e of fields) {
    if (!e.willValidate || e.checkValidity()) continue;
    if ((e.type || "").toLowerCase() === "file" && e.validity.valueMissing) continue;
    invalid.push({label: labelOf(e), message: short(e.validationMessage, 120)});
  }
  return {valid: invalid.length === 0, invalid: invalid.slice(0, 5)};
}"""

# The form's action URL as the browser resolves it ('' for a form-less block).
FORM_ACTION = r"""(root) => {
  if (root.tagName !== "FORM") return {kind: "container", action: "", raw: "", method: ""};
  return {kind: "form", action: root.action || "", raw: root.getAttribute("action") || "", method: (root.method || "get").toLowerCase()};
}"""

# The first visible text of the page that contains one of the phrases (lower case): an error message after
# sending («Ошибка отправки», «Произошла ошибка»); '' when there is none.
ERROR_TEXT = "(phrases) => {" + _HELPERS + r"""
  for (const el of document.querySelectorAll("h1, h2, h3, p, div, span, li, strong, b")) {
    if (el.children.length > 2 || !visible(el)) continue;
    const t = clean(el.innerText).toLowerCase();
    if (t.length > 300) continue;
    if (phrases.some((p) => t.includes(p))) return short(el.innerText, 160);
  }
  return "";
}"""

# ---- FAQ (ch_faq) -----------------------------------------------------------------------------------
# Expand <details> and accordion headers in the main content; returns how many were opened.
EXPAND_FAQ = "() => {" + _HELPERS + r"""
  const root = mainRoot();
  let n = 0, clicked = 0;
  for (const d of root.querySelectorAll("details:not([open])")) { d.open = true; n++; }
  const heads = root.querySelectorAll("[aria-expanded=false], [data-toggle=collapse], [data-bs-toggle=collapse], .accordion-button.collapsed");
  for (const el of [...heads].slice(0, 40)) {
    if (inChrome(el)) continue;
    const href = el.tagName === "A" ? (el.getAttribute("href") || "") : "#";
    if (!(href.startsWith("#") || href.toLowerCase().startsWith("javascript:"))) continue;
    try { el.click(); clicked++; } catch (e) {}
  }
  return {details: n, clicked};
}"""

# Count question-with-answer pairs in the main content (after EXPAND_FAQ).
# args: {min_answer: 20}
COUNT_FAQ = "(args) => {" + _HELPERS + r"""
  const MIN = args.min_answer || 20;
  const root = mainRoot();
  const pairs = [];
  const seen = new Set();
  const add = (q, a) => {
    q = clean(q); a = clean(a);
    if (q.length < 8 || q.length > 400 || a.length < MIN || seen.has(q)) return;
    seen.add(q); pairs.push({q: short(q, 120), a: short(a, 160)});
  };
  const skip = (el) => inChrome(el) && el.closest("main, [role=main], article") === null || !!el.closest("form");
  for (const d of root.querySelectorAll("details")) {
    const s = d.querySelector("summary");
    if (!s || skip(d)) continue;
    const q = clean(s.textContent);
    add(q, clean(d.textContent).slice(q.length));
  }
  for (const dt of root.querySelectorAll("dt")) {
    if (skip(dt)) continue;
    let a = "", n = dt.nextElementSibling;
    while (n && n.tagName === "DD") { a += " " + n.textContent; n = n.nextElementSibling; }
    add(dt.textContent, a);
  }
  for (const h of root.querySelectorAll("[aria-controls]")) {
    if (skip(h)) continue;
    const panel = document.getElementById(h.getAttribute("aria-controls"));
    if (panel) add(h.textContent, panel.textContent);
  }
  const QTAGS = "h2, h3, h4, h5, h6, p, li, dt, strong, b, button, summary, div, span, a";
  for (const el of root.querySelectorAll(QTAGS)) {
    if (skip(el) || !visible(el)) continue;
    if (el.querySelector("p, div, li, h2, h3, h4, h5, h6, ul, ol, table")) continue;   // leaf-like blocks only
    const t = clean(el.textContent);
    const only = el.tagName === "A" ? el : el.querySelector("a[href]");
    if (only && clean(only.textContent) === t) continue;   // a question that links to its answer page: below
    const qi = t.indexOf("?");
    if (qi < 8) continue;
    if (qi < t.length - 1) {                       // «Вопрос? Ответ…» in one block
      if (t.length - qi - 1 >= MIN) add(t.slice(0, qi + 1), t.slice(qi + 1));
      continue;
    }
    // The answer follows the question: next siblings until the next question, or the rest of the parent.
    let a = "";
    let n = el.nextElementSibling;
    while (n && a.length < 400) {
      const nt = clean(n.textContent);
      if (nt.endsWith("?") && nt.length < 400) break;
      a += " " + nt; n = n.nextElementSibling;
    }
    if (clean(a).length < MIN && el.parentElement && el.parentElement !== root) {
      const pt = clean(el.parentElement.textContent);
      const at = pt.indexOf(t);
      if (at >= 0) a = pt.slice(at + t.length);
      if (clean(a).length < MIN) {
        let pn = el.parentElement.nextElementSibling;
        if (pn && !clean(pn.textContent).endsWith("?")) a = pn.textContent;
      }
    }
    if (!clean(a).endsWith("?")) add(t, a);               // the next question is not an answer
  }
  // Questions that are links to their own answer pages («Как получить услугу?» → /faq/123/).
  const links = [...root.querySelectorAll("a[href]")].filter((a) => !skip(a) && visible(a))
    .map((a) => ({q: short(a.textContent, 200), href: a.href})).filter((x) => x.q.endsWith("?") && x.q.length >= 8)
    .slice(0, 20);
  return {count: pairs.length, examples: pairs.slice(0, 3), title: heading(), question_links: links};
}"""

# ---- survey page (ch_opinion) -------------------------------------------------------------------------
# args: {anchor: "id" or ""}: look only inside the element a '#fragment' link points to.
SURVEY_CONTENT = "(args) => {" + _HELPERS + r"""
  let root = mainRoot();
  if (args.anchor) {
    const t = document.getElementById(args.anchor) || document.querySelector(`[name="${CSS.escape(args.anchor)}"]`);
    if (!t) return {missing_anchor: true, fields: 0, questions: 0, frames: 0, title: heading()};
    root = t;
  }
  const fields = [...root.querySelectorAll("form input, form textarea, form select")].filter((e) =>
    !["hidden", "submit", "button", "image", "reset", "search", "password"].includes((e.type || "").toLowerCase()) && visible(e)
    && !e.closest("[role=search]"));
  let questions = 0;
  for (const el of root.querySelectorAll("p, li, label, legend, h2, h3, h4, h5, div, span, td")) {
    if (el.querySelector("p, div, li")) continue;
    const t = clean(el.textContent);
    if (t.length >= 10 && t.length <= 400 && t.endsWith("?") && visible(el) && !inChrome(el)) questions++;
  }
  const frames = [...root.querySelectorAll("iframe[src]")].filter((f) => visible(f) &&
    /forms\.yandex|docs\.google\.com\/forms|forms\.gle|survey|anketa|opros|bus\.gov\.ru|pos\.gosuslugi/i.test(f.src)).length;
  return {fields: fields.length, questions, frames, title: heading()};
}"""

# ---- version for the visually impaired (acc_alt_version) -------------------------------------------
# args: {panel: [phrases], panel_selectors: [css], active_classes: [names]}. Font size and colours of one paragraph
# of the main content (marked data-nok-para, so the same paragraph is measured after the switch: plugins style the
# text elements, not <body>), of <body> (shown only), visible panel phrases, a plugin's «on» class, plugin scripts.
MEASURE = "(args) => {" + _HELPERS + r"""
  const effBg = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor;
      if (c && c !== "transparent" && !/rgba\([^)]*,\s*0\)$/.test(c)) return c;
    }
    return "rgb(255, 255, 255)";
  };
  let p = document.querySelector("[data-nok-para]");
  if (!p || !document.body.contains(p)) {
    const pick = (root) => [...root.querySelectorAll("p, li, td, dd")].find((e) => visible(e) && !inChrome(e) && clean(e.textContent).length >= 30);
    p = pick(mainRoot()) || pick(document.body) || document.body;
    if (p !== document.body) p.setAttribute("data-nok-para", "1");
  }
  const bs = getComputedStyle(document.body), ps = getComputedStyle(p);
  const text = (document.body.innerText || "").toLowerCase();
  const panel = (args.panel || []).filter((ph) => text.includes(ph));
  for (const sel of args.panel_selectors || []) {
    try { if ([...document.querySelectorAll(sel)].some(visible)) panel.push(sel); } catch (e) {}
  }
  const on = [document.documentElement, document.body];
  const active = (args.active_classes || []).filter((c) => on.some((e) => e && e.classList.contains(c)));
  const scripts = [...document.querySelectorAll("script[src]")].map((s) => s.src)
    .filter((s) => /bvi|uhpv|lidrekon|finevision|special|slabovid|visually|impaired|eye/i.test(s)).slice(0, 5);
  // HTTP status of each such script (Resource Timing; 0 when the browser does not tell): a 404 never loaded.
  const script_status = scripts.map((s) => { const e = performance.getEntriesByName(s)[0]; return e && e.responseStatus || 0; });
  return {
    url: location.href,
    body_font: parseFloat(bs.fontSize), para_font: parseFloat(ps.fontSize),
    body_color: bs.color, body_bg: effBg(document.body),
    para_color: ps.color, para_bg: effBg(p), para_text: short(p.textContent, 60),
    panel, scripts, script_status, active,
  };
}"""

# A panel control that enlarges the font («A+», «Крупный шрифт», «Увеличить»): marks data-nok-el="enlarge".
# args: {patterns: [regex sources]}
FIND_ENLARGE = "(args) => {" + _HELPERS + r"""
  const res = (args.patterns || []).map((p) => new RegExp(p, "i"));
  const els = [...document.querySelectorAll("button, a, [role=button], input[type=button], span, div, li")]
    .filter((e) => visible(e) && e.children.length <= 2);
  for (const re of res) {
    for (const e of els) {
      const t = clean(e.innerText || e.value || "");
      const aux = clean((e.getAttribute("aria-label") || "") + " " + (e.title || ""));
      if ((t && t.length <= 40 && re.test(t)) || (aux && re.test(aux))) {
        document.querySelectorAll("[data-nok-el=enlarge]").forEach((x) => x.removeAttribute("data-nok-el"));
        e.setAttribute("data-nok-el", "enlarge");
        return {found: true, text: short(t || aux, 40)};
      }
    }
  }
  return {found: false};
}"""

# A panel's colour-scheme control (white on black …): marks data-nok-el="scheme". Known plugin selectors first
# (bvi's colour buttons are all labelled «Ц»), then text patterns. args: {selectors: [css], patterns: [regex sources]}
FIND_SCHEME = "(args) => {" + _HELPERS + r"""
  const mark = (e, t) => {
    document.querySelectorAll("[data-nok-el=scheme]").forEach((x) => x.removeAttribute("data-nok-el"));
    e.setAttribute("data-nok-el", "scheme");
    return {found: true, text: short(t || e.title || e.className, 40)};
  };
  for (const sel of args.selectors || []) {
    let e = null;
    try { e = [...document.querySelectorAll(sel)].find(visible); } catch (err) {}
    if (e) return mark(e, clean(e.innerText) + (e.title ? " (" + e.title + ")" : ""));
  }
  const res = (args.patterns || []).map((p) => new RegExp(p, "i"));
  const els = [...document.querySelectorAll("button, a, [role=button], input[type=button]")].filter(visible);
  for (const re of res)
    for (const e of els) {
      const t = clean(e.innerText || e.value || e.getAttribute("aria-label") || e.title || "");
      if (t && t.length <= 40 && re.test(t)) return mark(e, t);
    }
  return {found: false};
}"""

# The «Обычная версия» control, marked data-nok-el="normal".
FIND_NORMAL_VERSION = "() => {" + _HELPERS + r"""
  const els = [...document.querySelectorAll("a, button, [role=button], span, div, li")].filter((e) => e.children.length <= 2 && visible(e));
  for (const e of els) {
    const t = clean(e.innerText || e.getAttribute("aria-label") || e.title || "");
    if (/^(обычная|стандартная|основная) версия( сайта)?$/i.test(t)) {
      e.setAttribute("data-nok-el", "normal");
      return {found: true, text: t};
    }
  }
  return {found: false};
}"""

CLEAR_STORAGE = "() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }"

ELEMENT_TEXT = "(e) => { const t = (e.innerText || e.value || e.getAttribute('aria-label') || e.title || e.alt || " \
               "(e.querySelector('img') && e.querySelector('img').alt) || '').replace(/\\s+/g, ' ').trim(); " \
               "return t.length > 60 ? t.slice(0, 59) + '…' : t; }"
