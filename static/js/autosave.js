// Autosave for every form marked data-autosave-url: the guiding questions, the profile, comments on resources.
// Every field is sent a moment after typing stops, at once for choices, and on leaving the field or the page.
// Until the server confirms, the text is also kept in localStorage so that a crash, a closed tab or a lost
// connection loses nothing; the next visit restores it. Configured by the form's data-* attributes (URL, storage
// key, server save times, translated messages; data-autosave-fields, a pattern of the field names to save, the
// guiding questions' by default). A form marked data-autosave-whole (a comment) is saved as a whole, one
// request at a time; the server's answer may name where later saves go (a new comment becomes an edited one).
"use strict";

(() => {
  if (!window.fetch) return;

  const TYPING_PAUSE_MS = 1000;
  const FIRST_RETRY_MS = 2000;
  const MAX_RETRY_MS = 30000;
  // A quick save is not worth announcing as "Saving…"; only a slow one is.
  const SHOW_SAVING_AFTER_MS = 500;
  // The whole form's other values (a comment's paragraph and passage), kept with its drafts.
  const FORM_ENTRY = "__form";

  const setUp = (form) => {
  const data = form.dataset;
  // The guiding questions' fields by default; comment forms and the meeting's live points name theirs.
  const FIELD_NAME = new RegExp(data.autosaveFields || data.fieldPattern || "^q\\d+$");
  const whole = Boolean(data.autosaveWhole);
  let url = data.autosaveUrl;
  let storageKey = data.storageKey || "";
  const savedTimes = data.savedTimes ? JSON.parse(data.savedTimes) : null;
  const globalStatus = form.querySelector(".autosave-status") || document.getElementById("autosave-status");
  const states = new Map();
  let submitting = false;
  // A form saved as a whole sends one request at a time (a new comment must be created once).
  let formBusy = false;
  let submitAfterSave = false;

  const formEntries = () =>
    [...new FormData(form).entries()].filter(([name, value]) => name !== "csrfmiddlewaretoken" && typeof value === "string");

  const fill = (template, values) =>
    (template || "").replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));

  const csrfToken = () => {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  };

  // Browser storage of values the server has not confirmed yet. Storage can be full or switched off: then
  // autosave still works, only the crash safety net is missing.
  const storage = {
    key: (name) => `${storageKey}:${name}`,
    read(name) {
      try {
        const raw = window.localStorage.getItem(this.key(name));
        return raw ? JSON.parse(raw) : null;
      } catch {
        return null;
      }
    },
    write(name, value) {
      try {
        window.localStorage.setItem(this.key(name), JSON.stringify({ v: value, t: Date.now() }));
      } catch {
        // Nothing to do: the server save below is the real thing.
      }
    },
    forget(name) {
      try {
        window.localStorage.removeItem(this.key(name));
      } catch {
        // As above.
      }
    },
  };

  const isChoice = (control) => control.type === "radio" || control.type === "checkbox";
  const isText = (control) => control.tagName === "TEXTAREA" || (control.tagName === "INPUT" && !isChoice(control));
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

  const valueOf = (state) => {
    const [first] = state.controls;
    if (first.type === "checkbox") return state.controls.filter((c) => c.checked).map((c) => c.value);
    if (first.type === "radio") {
      const checked = state.controls.find((c) => c.checked);
      return checked ? checked.value : "";
    }
    if (first.tagName === "SELECT" && first.multiple) return [...first.selectedOptions].map((o) => o.value);
    return first.value;
  };

  const setValue = (state, value) => {
    const [first] = state.controls;
    if (isChoice(first)) {
      const chosen = Array.isArray(value) ? value : [value];
      state.controls.forEach((c) => {
        c.checked = chosen.includes(c.value);
      });
    } else {
      first.value = Array.isArray(value) ? value[0] || "" : value;
      first.dispatchEvent(new Event("fields:refresh"));
    }
  };

  const fieldText = (state) => {
    let text = "";
    if (state.phase === "saving") text = data.msgSaving;
    else if (state.phase === "saved") text = fill(data.msgSaved, { time: state.savedAt });
    else if (state.phase === "retrying") text = data.msgRetrying;
    else if (state.phase === "failed") text = fill(data.msgFailed, { message: state.error });
    return state.restored ? [data.msgRestored, text].filter(Boolean).join(" · ") : text;
  };

  let lastSavedAt = "";
  let globalTimer = null;

  const refreshGlobal = () => {
    if (!globalStatus) return;
    const all = [...states.values()];
    const failed = all.find((s) => s.phase === "failed");
    const now = Date.now();
    let text = "";
    if (failed) text = fill(data.msgFailed, { message: failed.error });
    else if (all.some((s) => s.phase === "retrying")) text = data.msgRetrying;
    else if (all.some((s) => s.phase === "saving" && now - s.sendingSince >= SHOW_SAVING_AFTER_MS))
      text = data.msgSaving;
    else if (lastSavedAt) text = fill(data.msgSaved, { time: lastSavedAt });
    if (all.some((s) => s.restored)) text = [data.msgRestored, text].filter(Boolean).join(" · ");
    // Writing the same text again would make some screen readers repeat it.
    if (globalStatus.textContent !== text) globalStatus.textContent = text;
    globalStatus.classList.toggle("autosave-failed", Boolean(failed));
  };

  const setPhase = (state, phase) => {
    state.phase = phase;
    state.status.textContent = fieldText(state);
    state.status.classList.toggle("autosave-failed", phase === "failed");
    state.status.classList.toggle("autosave-retrying", phase === "retrying");
    refreshGlobal();
  };

  const send = async (state, { keepalive = false } = {}) => {
    clearTimeout(state.timer);
    clearTimeout(state.retryTimer);
    if ((state.inFlight || (whole && formBusy)) && !keepalive) {
      // One request per field (per form, for a whole one) at a time, so an older value can never overwrite a
      // newer one.
      state.pending = true;
      return;
    }
    state.pending = false;
    state.inFlight = true;
    formBusy = true;
    state.sendingSince = Date.now();
    const value = valueOf(state);
    const body = new URLSearchParams();
    body.append("field", state.name);
    if (whole) {
      formEntries().forEach(([name, v]) => body.append(name, v));
    } else {
      (Array.isArray(value) ? value : [value]).forEach((v) => body.append(state.name, v));
    }
    const sent = whole ? [...states.values()].map((s) => [s, valueOf(s)]) : [[state, value]];
    setPhase(state, "saving");
    clearTimeout(globalTimer);
    globalTimer = setTimeout(refreshGlobal, SHOW_SAVING_AFTER_MS);

    let response = null;
    let payload = {};
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        keepalive,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      payload = await response.json().catch(() => ({}));
    } catch {
      response = null;
    }
    state.inFlight = false;
    formBusy = false;

    if (response && response.ok) {
      state.retryDelay = 0;
      if (payload.autosave_url) {
        // Saved for the first time: later saves change this comment instead of making another.
        url = payload.autosave_url;
        if (payload.action) form.action = payload.action;
        if (payload.storage_key && payload.storage_key !== storageKey) {
          states.forEach((s) => storage.forget(s.name));
          storage.forget(FORM_ENTRY);
          storageKey = payload.storage_key;
        }
        form.dispatchEvent(new CustomEvent("autosave:created"));
      }
      // A whole form was saved with every field's value as sent: each field still showing it is saved too.
      sent.forEach(([s, v]) => {
        if (s !== state && !same(valueOf(s), v)) return;
        s.savedAt = payload.saved_at || "";
        const kept = storage.read(s.name);
        if (!kept || same(kept.v, v)) storage.forget(s.name);
        if (s !== state) {
          s.pending = false;
          clearTimeout(s.timer);
        }
        // Nothing worth keeping yet (an empty new comment): nothing to announce either.
        setPhase(s, payload.empty ? "idle" : "saved");
      });
      if (!payload.empty) lastSavedAt = state.savedAt;
      if (whole && [...states.values()].every((s) => !storage.read(s.name))) storage.forget(FORM_ENTRY);
    } else if (response && [400, 403, 404, 409].includes(response.status)) {
      // The server refused this value (or the session is gone): retrying would not help. The draft stays in
      // localStorage until a value is accepted.
      state.retryDelay = 0;
      state.error = payload.error || data.msgSession;
      setPhase(state, "failed");
    } else {
      // Network errors, server errors and 429 (too many saves in a short time) pass: try again later. A 429
      // says how long to wait in Retry-After (seconds). A post that waited for this save goes now: it carries
      // everything.
      if (submitAfterSave) {
        submitAfterSave = false;
        form.requestSubmit();
        return;
      }
      const waitMs = response ? Number(response.headers.get("Retry-After")) * 1000 || 0 : 0;
      state.retryDelay = Math.min(state.retryDelay ? state.retryDelay * 2 : FIRST_RETRY_MS, MAX_RETRY_MS);
      state.retryDelay = Math.max(state.retryDelay, waitMs);
      setPhase(state, "retrying");
      state.retryTimer = setTimeout(() => send(state), state.retryDelay);
      return;
    }
    if (submitAfterSave) {
      // The save the participant's post waited for is back (and a new comment's form now edits it): post now.
      if (![...states.values()].some((s) => s.inFlight)) {
        submitAfterSave = false;
        form.requestSubmit();
      }
      return;
    }
    if (state.pending) send(state);
    if (whole) states.forEach((s) => s.pending && s !== state && send(s));
  };

  const changed = (state) => {
    state.restored = false;
    storage.write(state.name, valueOf(state));
    if (whole) storage.write(FORM_ENTRY, formEntries());
  };

  const flushAll = () => {
    if (submitting) return;
    if (whole) {
      // One request carries the whole form.
      const waiting = [...states.values()].find((s) => s.pending || s.phase === "retrying");
      if (waiting) send(waiting, { keepalive: true });
      return;
    }
    states.forEach((state) => {
      if (state.pending || state.phase === "retrying") send(state, { keepalive: true });
    });
  };

  const statusFor = (name, controls) => {
    const [first] = controls;
    const baseId = isChoice(first) ? first.id.replace(/_\d+$/, "") : first.id;
    const status = document.createElement("p");
    status.id = `${baseId}-status`;
    status.className = "autosave-field-status form-text mb-0";
    const wrapper = document.getElementById(`div_${baseId}`) || first.closest("fieldset") || first.parentElement;
    wrapper.append(status);
    if (!isChoice(first)) {
      const ids = (first.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      first.setAttribute("aria-describedby", [...ids, status.id].join(" "));
    }
    return status;
  };

  // Collect the answer fields, grouped by name (a radio or checkbox group is one answer).
  [...form.elements].forEach((control) => {
    if (!FIELD_NAME.test(control.name) || control.disabled || !control.id) return;
    if (!states.has(control.name)) states.set(control.name, { name: control.name, controls: [] });
    states.get(control.name).controls.push(control);
  });
  states.forEach((state, name) => {
    Object.assign(state, {
      status: statusFor(name, state.controls),
      phase: "idle",
      pending: false,
      inFlight: false,
      retryDelay: 0,
      restored: false,
      timer: null,
      retryTimer: null,
      sendingSince: 0,
    });
  });

  const stateOf = (target) => (target && FIELD_NAME.test(target.name) ? states.get(target.name) : undefined);

  form.addEventListener("input", (event) => {
    const state = stateOf(event.target);
    if (!state || !isText(event.target)) return;
    changed(state);
    state.pending = true;
    clearTimeout(state.timer);
    state.timer = setTimeout(() => send(state), TYPING_PAUSE_MS);
  });

  form.addEventListener("change", (event) => {
    const state = stateOf(event.target);
    if (!state) return;
    if (isText(event.target)) {
      if (state.pending) send(state);
      return;
    }
    changed(state);
    send(state);
  });

  form.addEventListener("focusout", (event) => {
    const state = stateOf(event.target);
    if (state && state.pending) send(state);
  });

  form.addEventListener("submit", (event) => {
    // The ordinary Save posts every answer; autosaves racing it would only repeat the work.
    submitting = true;
    states.forEach((state) => {
      clearTimeout(state.timer);
      clearTimeout(state.retryTimer);
      state.pending = false;
    });
    // A comment's save already on its way could land after this post (and a new comment's would make a second
    // one): post once it is back.
    if (whole && [...states.values()].some((state) => state.inFlight)) {
      event.preventDefault();
      submitAfterSave = true;
    }
  });

  // passages.js reuses a new-comment form for another passage once the first comment is saved: from then on
  // it makes a new comment again.
  const firstUrl = url;
  const firstAction = form.getAttribute("action");
  const firstKey = storageKey;
  form.addEventListener("autosave:reset", () => {
    url = firstUrl;
    form.setAttribute("action", firstAction);
    storageKey = firstKey;
    // A new comment from this form gets a key of its own (the server makes one comment per key).
    if (form.elements.draft_key) {
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      form.elements.draft_key.value = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    }
    states.forEach((state) => {
      clearTimeout(state.timer);
      clearTimeout(state.retryTimer);
      state.pending = false;
      state.restored = false;
      setPhase(state, "idle");
    });
  });

  window.addEventListener("pagehide", flushAll);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flushAll();
  });

  // Whatever was typed or chosen before this script ran is the newest value: save it now, and let no older
  // draft kept in this browser replace it.
  const editedEarly = new Set();
  const isEdited = (control) => {
    if (control.tagName === "SELECT") return [...control.options].some((o) => o.selected !== o.defaultSelected);
    return isChoice(control) ? control.checked !== control.defaultChecked : control.value !== control.defaultValue;
  };
  states.forEach((state) => {
    if (!state.controls.some(isEdited)) return;
    editedEarly.add(state.name);
    changed(state);
    state.pending = true;
    send(state);
  });

  // Restore drafts this browser kept but the server never confirmed, when they are newer than the server's.
  // savedTimes is absent when the page shows a refused form submission: those values are the newest then.
  if (savedTimes !== null) {
    const restored = [];
    states.forEach((state) => {
      if (editedEarly.has(state.name)) return;
      const kept = storage.read(state.name);
      if (!kept) return;
      const serverTime = savedTimes[state.name] ? Date.parse(savedTimes[state.name]) : 0;
      if (kept.t <= serverTime || same(kept.v, valueOf(state))) {
        storage.forget(state.name);
        return;
      }
      setValue(state, kept.v);
      state.restored = true;
      restored.push(state);
    });
    const keptForm = whole ? storage.read(FORM_ENTRY) : null;
    if (restored.length && keptForm) {
      // The rest of the form as it was (which paragraph, which passage), before saving it again.
      keptForm.v.forEach(([name, value]) => {
        const control = form.elements.namedItem(name);
        if (control && control.type === "hidden") control.value = value;
        else if (control && control.tagName === "SELECT") control.value = value;
        else if (control && control.tagName === "TEXTAREA" && !FIELD_NAME.test(name)) control.value = value;
      });
      form.dispatchEvent(new CustomEvent("autosave:restored"));
    }
    // A restored draft in a folded form (editing a comment) is shown.
    const details = restored.length ? form.closest("details") : null;
    if (details) details.open = true;
    restored.forEach((state) => send(state));
  }
  };

  document.querySelectorAll("form[data-autosave-url]").forEach(setUp);
})();
