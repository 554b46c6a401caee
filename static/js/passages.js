// Comments on passages of a resource. Selecting words in a numbered paragraph shows a "Comment on this passage"
// button that brings the section's comment form beside the paragraph with the passage and its place filled in;
// each paragraph's number (¶4) becomes a button that does the same for the whole paragraph, for keyboard users.
// Without this script the form under each section does all of it: choose the paragraph, paste the words.
// Offsets are counted in the paragraph's own text, as the server stores it: the links that follow marked
// passages (data-offset-skip) are not part of it.
"use strict";

(() => {
  const documentRoot = document.querySelector(".document[data-comment-passages='1']");
  if (!documentRoot) return;
  const data = documentRoot.dataset;
  const fill = (template, values) =>
    (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const textNodes = (container) => {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) =>
        node.parentElement.closest("[data-offset-skip]") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    return nodes;
  };
  const plainText = (container) => textNodes(container).map((node) => node.data).join("");

  // Where a selection boundary (node, offset) falls in the paragraph's text.
  const offsetIn = (container, node, offset) => {
    const upTo = document.createRange();
    upTo.setStart(container, 0);
    upTo.setEnd(node, offset);
    let count = 0;
    for (const text of textNodes(container)) {
      if (text === node) return count + offset;
      if (upTo.comparePoint(text, text.length) === 0) count += text.length;
    }
    return count;
  };

  const paragraphTextOf = (node) => {
    const element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return element ? element.closest("[data-paragraph-text]") : null;
  };

  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn btn-primary btn-sm passage-button shadow";
  button.textContent = data.msgCommentPassage;
  button.hidden = true;
  documentRoot.append(button);
  let passage = null;

  const openForm = (paragraph, quoted) => {
    const form = document.getElementById(paragraph.dataset.sectionForm);
    if (!form) return;
    if (form.dataset.created) {
      // The comment typed in this form is saved already: leave a word where it was, and start a new one.
      const note = document.createElement("p");
      note.className = "small text-success mb-2";
      note.setAttribute("role", "status");
      note.textContent = form.dataset.createdNote || "";
      form.before(note);
      form.elements.text.value = "";
      form.elements.proposed_change.value = "";
      form.querySelectorAll("input[name=kind]").forEach((radio) => {
        radio.checked = radio.defaultChecked;
      });
      delete form.dataset.created;
      lockPlace(form, false);
      form.dispatchEvent(new CustomEvent("autosave:reset"));
    }
    paragraph.after(form);
    form.elements.paragraph.value = paragraph.dataset.paragraph;
    form.elements.quote.value = quoted ? quoted.quote : "";
    form.elements.quote_start.value = quoted ? String(quoted.start) : "";
    form.elements.text.dispatchEvent(new Event("fields:refresh"));
    form.elements.quote.dispatchEvent(new Event("fields:refresh"));
    // With a passage chosen the comment comes next; for a whole paragraph, first the chance to quote from it.
    (quoted ? form.elements.text : form.elements.quote).focus();
  };

  // Once saved, a comment stays where it was made: its paragraph and passage can no longer change in the form.
  const lockPlace = (form, locked) => {
    if (form.elements.paragraph) form.elements.paragraph.disabled = locked;
    if (form.elements.quote) form.elements.quote.readOnly = locked;
  };

  const hideButton = () => {
    button.hidden = true;
    passage = null;
  };

  const onSelection = () => {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) {
      if (document.activeElement !== button) hideButton();
      return;
    }
    const range = selection.getRangeAt(0);
    const container = paragraphTextOf(range.startContainer);
    if (!container) {
      hideButton();
      return;
    }
    const text = plainText(container);
    let start = offsetIn(container, range.startContainer, range.startOffset);
    // A selection running on into the next paragraphs is cut at the end of the first.
    let end =
      paragraphTextOf(range.endContainer) === container
        ? offsetIn(container, range.endContainer, range.endOffset)
        : text.length;
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    if (end <= start) {
      hideButton();
      return;
    }
    passage = { paragraph: container.closest("[data-paragraph]"), quote: text.slice(start, end), start };
    const box = range.getBoundingClientRect();
    const root = documentRoot.getBoundingClientRect();
    button.hidden = false;
    button.style.insetBlockStart = `${box.bottom - root.top + 6}px`;
    const left = Math.max(0, Math.min(box.left - root.left, root.width - button.offsetWidth));
    button.style.left = `${left}px`;
    passage.paragraph.after(button);
  };

  let timer = null;
  document.addEventListener("selectionchange", () => {
    clearTimeout(timer);
    timer = setTimeout(onSelection, 120);
  });
  // Keep the selection while the button is pressed.
  button.addEventListener("mousedown", (event) => event.preventDefault());
  button.addEventListener("click", () => {
    if (!passage) return;
    const chosen = passage;
    hideButton();
    openForm(chosen.paragraph, chosen);
  });

  // Each paragraph's number opens the form for the whole paragraph.
  documentRoot.querySelectorAll("[data-paragraph]").forEach((paragraph) => {
    const number = paragraph.querySelector(".para-number");
    if (!number) return;
    const opener = document.createElement("button");
    opener.type = "button";
    opener.className = "para-number btn btn-link btn-sm p-0";
    opener.textContent = number.textContent;
    opener.setAttribute("aria-label", fill(data.msgCommentParagraph, { label: paragraph.dataset.label }));
    opener.addEventListener("click", () => openForm(paragraph, null));
    number.replaceWith(opener);
  });

  // An edit of a comment typed but never saved (the connection or the tab was lost) waits in this browser until
  // its form is opened again: say so at its Edit link.
  document.querySelectorAll("a[data-edit-comment]").forEach((link) => {
    const key = `${data.storageKey}:comment-${link.dataset.editComment}`;
    const savedAt = Date.parse(link.dataset.savedAt || "") || 0;
    let kept = false;
    try {
      ["text", "proposed_change", "__form"].forEach((name) => {
        const raw = window.localStorage.getItem(`${key}:${name}`);
        if (raw === null) return;
        // Older than the server's copy: that draft was saved after all (on leaving the page, say).
        if ((JSON.parse(raw).t || 0) <= savedAt) window.localStorage.removeItem(`${key}:${name}`);
        else kept = true;
      });
    } catch {
      kept = false;
    }
    if (!kept) return;
    const note = document.createElement("span");
    note.className = "small text-warning-emphasis align-self-center";
    note.textContent = data.msgUnsaved;
    link.after(note);
  });

  documentRoot.querySelectorAll("form.new-comment").forEach((form) => {
    form.addEventListener("autosave:created", () => {
      form.dataset.created = "1";
      lockPlace(form, true);
    });
    // A restored draft goes back beside the paragraph it is about.
    form.addEventListener("autosave:restored", () => {
      const chosen = form.elements.paragraph && form.elements.paragraph.value;
      const paragraph = chosen && documentRoot.querySelector(`[data-paragraph="${CSS.escape(chosen)}"]`);
      if (paragraph) paragraph.after(form);
    });
    // Words typed in by hand are looked up by the server; an offset from an earlier selection would not fit.
    if (form.elements.quote) {
      form.elements.quote.addEventListener("input", () => {
        form.elements.quote_start.value = "";
      });
    }
  });
})();
