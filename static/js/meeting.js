// The participant's meeting page follows the moderator: it asks what is on now every couple of seconds
// (If-None-Match, so an unchanged answer is an empty 304) and writes the new item into the "now" box, whose size
// never changes. The live-point field of the new item is shown below any field the participant is typing in;
// a field in use is never re-rendered, hidden or moved.
"use strict";

(() => {
  const box = document.getElementById("meeting-now");
  if (!box || !window.fetch) return;
  const data = box.dataset;
  const pollMs = Number(data.pollMs) || 2000;
  const form = document.getElementById("live-form");
  const container = document.getElementById("live-points");
  const part = (name) => box.querySelector(`[data-now="${name}"]`);
  let etag = data.etag || "";
  let shown = null;

  const fill = (template, values) =>
    (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const setText = (element, text) => {
    // Writing the same text again would make screen readers announce it again.
    if (element && element.textContent !== text) element.textContent = text;
  };

  const inUse = (block) => block.contains(document.activeElement);

  const showItem = (itemId) => {
    if (!container) return;
    const blocks = [...container.querySelectorAll(".live-point")];
    const target = blocks.find((block) => block.dataset.item === String(itemId));
    const busy = blocks.find((block) => !block.hidden && inUse(block));
    blocks.forEach((block) => {
      if (block !== target && block !== busy) block.hidden = true;
    });
    if (!target) return;
    if (busy && busy !== target && target.hidden) {
      // After the field in use, never before it: nothing above the caret moves.
      container.append(target);
    }
    target.hidden = false;
  };

  const render = (now) => {
    let state = "";
    if (now.state === "waiting") state = data.msgWaiting;
    else if (now.state === "ended") state = data.msgEnded;
    else if (now.rehearsal) state = data.msgRehearsal;
    setText(part("state"), state);
    const item = now.item;
    // Number and title (question label and question) go into separate elements: the title and the question
    // are isolated in the page (bdi), so a right-to-left page keeps their punctuation where it belongs.
    setText(part("position"), item ? `${item.position}.` : "");
    setText(part("item-title"), item ? item.title : "");
    let label = "";
    if (item && item.question_no) label = fill(data.msgQuestion, { number: item.question_no });
    if (label && item.question) label += ":";
    setText(part("question-number"), label);
    setText(part("question-text"), item && item.question ? item.question : "");
    if (form) form.hidden = now.state !== "live" && !form.contains(document.activeElement);
    shown = item ? item.id : null;
    showItem(shown);
  };

  const poll = async () => {
    try {
      const response = await fetch(data.nowUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/json", "If-None-Match": etag },
        cache: "no-store",
      });
      if (response.status === 200) {
        etag = response.headers.get("ETag") || "";
        render(await response.json());
      }
    } catch {
      // A lost connection: the next poll tries again.
    }
    window.setTimeout(poll, pollMs);
  };

  // Once the participant leaves a field of an earlier item, tidy up so that only the current item's shows.
  if (container) {
    const visible = container.querySelector(".live-point:not([hidden])");
    shown = visible ? visible.dataset.item : null;
    container.addEventListener("focusout", () =>
      window.setTimeout(() => {
        if (!container.contains(document.activeElement)) showItem(shown);
      }, 0),
    );
  }
  if (form) form.addEventListener("submit", (event) => event.preventDefault());
  window.setTimeout(poll, pollMs);
})();
