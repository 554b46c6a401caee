// Character counters under every field with a maxlength inside a form marked data-char-counter, and the
// "Leave on this browser" form (data-clear-drafts) taking the participant's unsent drafts with it.
// The form carries the translated texts: data-char-counter="{count} of {max} characters" and
// data-char-counter-left="Characters left: {left}" (announced only near the limit, so typing stays quiet).
"use strict";

(() => {
  const NEAR_LIMIT = 0.1;
  const ANNOUNCE_DELAY_MS = 900;

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const describe = (field, id) => {
    const ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (!ids.includes(id)) {
      ids.push(id);
      field.setAttribute("aria-describedby", ids.join(" "));
    }
  };

  const liveRegion = (form) => {
    const region = document.createElement("div");
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    region.id = `${form.id || "form"}-counter-live`;
    form.append(region);
    return region;
  };

  const enhance = (form) => {
    const counterText = form.dataset.charCounter;
    const leftText = form.dataset.charCounterLeft || counterText;
    const fields = form.querySelectorAll("textarea[maxlength], input[maxlength]");
    if (!counterText || fields.length === 0) return;
    const region = liveRegion(form);
    // Western digits in every language, Arabic included, as the server's own formats write them.
    const number = new Intl.NumberFormat(document.documentElement.lang || undefined, { numberingSystem: "latn" });

    fields.forEach((field) => {
      const max = Number(field.getAttribute("maxlength"));
      if (!field.id || !(max > 0) || field.type === "hidden") return;
      const counter = document.createElement("div");
      counter.id = `${field.id}-counter`;
      counter.className = "char-counter form-text";
      field.after(counter);
      describe(field, counter.id);
      let timer = null;
      let announced = "";

      const update = (announce) => {
        const count = field.value.length;
        const left = max - count;
        counter.textContent = fill(counterText, { count: number.format(count), max: number.format(max) });
        const near = left <= max * NEAR_LIMIT;
        counter.classList.toggle("char-counter-near", near);
        if (!announce) return;
        clearTimeout(timer);
        if (!near) {
          announced = "";
          return;
        }
        // Wait until typing pauses: a live region that speaks on every keystroke drowns the typing out.
        timer = setTimeout(() => {
          const text = fill(leftText, { left: number.format(left), count: number.format(count), max: number.format(max) });
          if (text !== announced) {
            announced = text;
            region.textContent = text;
          }
        }, ANNOUNCE_DELAY_MS);
      };

      field.addEventListener("input", () => update(true));
      // Autosave restores drafts by setting the value; it dispatches this event so the count follows.
      field.addEventListener("fields:refresh", () => update(false));
      update(false);
    });
  };

  document.querySelectorAll("form[data-char-counter]").forEach(enhance);

  // Drafts autosave.js kept in this browser (keys "<data-clear-drafts>:<field>") must not outlive the
  // participant's leaving: the next person at a shared computer would find them.
  document.querySelectorAll("form[data-clear-drafts]").forEach((form) => {
    form.addEventListener("submit", () => {
      const prefix = `${form.dataset.clearDrafts}:`;
      try {
        for (let index = window.localStorage.length - 1; index >= 0; index -= 1) {
          const key = window.localStorage.key(index);
          if (key && key.startsWith(prefix)) window.localStorage.removeItem(key);
        }
      } catch {
        // Storage switched off: nothing was kept.
      }
    });
  });
})();
