// Names that Django's admin leaves out (WCAG 1.3.1, 4.1.2), given as the widgets are built, since their scripts
// build them after the page has loaded (and again for each inline row added).
(function () {
  "use strict";

  function name() {
    // A tabular inline's first column (each row's saved item) has an empty heading: it takes the inline's own
    // heading, for screen readers only, so that every cell of the table has a heading.
    document.querySelectorAll("fieldset.module th.original:empty").forEach(function (heading) {
      const title = heading.closest("fieldset").querySelector(".inline-heading");
      const text = document.createElement("span");
      text.className = "visually-hidden";
      text.textContent = title ? title.textContent.trim() : "";
      heading.appendChild(text);
    });
    // The filter box of a two-list selector (filter_horizontal): its search icon is a span with an aria-label but
    // no role, a label that assistive technology may not read; as an image it is read.
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // An autocomplete field (select2): its combobox is named by the chosen value alone, so an empty one has no
    // name; the field's label names it first.
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const combobox = select.nextElementSibling && select.nextElementSibling.querySelector(".select2-selection");
      const label = select.id && document.querySelector('label[for="' + select.id + '"]');
      if (!combobox || combobox.dataset.named) return;
      combobox.dataset.named = "true";
      if (label) {
        label.id = label.id || select.id + "-label";
        combobox.setAttribute("aria-labelledby", (label.id + " " + (combobox.getAttribute("aria-labelledby") || "")).trim());
        // Its read-only text box (the chosen value) is named by the label too.
        combobox.querySelectorAll("[role=textbox]").forEach(function (box) {
          box.setAttribute("aria-labelledby", label.id);
        });
      } else if (select.getAttribute("aria-label")) {
        combobox.setAttribute("aria-label", select.getAttribute("aria-label"));
        combobox.querySelectorAll("[role=textbox]").forEach(function (box) {
          box.setAttribute("aria-label", select.getAttribute("aria-label"));
        });
      }
    });
  }

  new MutationObserver(name).observe(document.documentElement, { childList: true, subtree: true });
})();
