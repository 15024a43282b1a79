// TokenUI's behaviour on top of server-rendered pages. Everything here is an enhancement: every
// flow also works as plain links and forms with JavaScript off. No inline scripts (strict CSP).
"use strict";

(function () {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  document.documentElement.classList.add("js");

  // Controls that only make sense with JavaScript start hidden and are revealed here.
  function reveal(root) {
    $$("[data-select-visible], [data-clear-selection], [data-dismiss-message], [data-copy], #select-visible, [data-group-tools]", root)
      .forEach((el) => { el.hidden = false; });
  }

  // ----- Dialogs: confirmations are real pages, loaded into a <dialog> -------------------------
  let returnFocusTo = null;
  const dialog = () => $("#dialog");

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target && event.detail.target.id === "dialog") returnFocusTo = document.activeElement;
  });

  // New content (an outerHTML swap replaces the target, so use the new element htmx reports).
  document.addEventListener("htmx:load", (event) => {
    reveal(event.detail.elt);
    syncSelection();
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target.id === "dialog" && !target.open) {
      target.showModal();
      const first = $("[autofocus]", target) || $("button, a", target);
      if (first) first.focus();
    }
  });

  // A successful action inside the dialog (say, Continue) closes it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const source = event.detail.elt;
    const d = dialog();
    if (d && d.open && d.contains(source) && event.detail.successful !== false && event.detail.target.id !== "dialog") {
      d.close();
    }
  });

  document.addEventListener("click", (event) => {
    const closer = event.target.closest("[data-close-dialog]");
    if (closer && dialog() && dialog().open) {
      event.preventDefault();
      dialog().close();
    }
    const dismiss = event.target.closest("[data-dismiss-message]");
    if (dismiss) dismiss.closest(".message").remove();
  });

  document.addEventListener("close", (event) => {
    if (event.target.id !== "dialog") return;
    event.target.replaceChildren();
    if (returnFocusTo && document.contains(returnFocusTo)) returnFocusTo.focus();
    else if ($("#search-q")) $("#search-q").focus();
    returnFocusTo = null;
  }, true);

  // ----- Table selection: Select All Visible, Clear Selection -----------------------------------
  function rowBoxes() { return $$("#table-form tbody input[type=checkbox][name=name]"); }

  function syncSelection() {
    const all = $("#select-visible");
    if (!all) return;
    const boxes = rowBoxes();
    const ticked = boxes.filter((b) => b.checked).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function setAll(checked) {
    rowBoxes().forEach((b) => { b.checked = checked; });
    syncSelection();
  }

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-select-visible]")) { setAll(true); closeMenu(event.target); }
    if (event.target.closest("[data-clear-selection]")) { setAll(false); closeMenu(event.target); }
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "select-visible") setAll(event.target.checked);
    else if (event.target.matches("#table-form tbody input[type=checkbox]")) syncSelection();
  });

  function closeMenu(el) {
    const menu = el.closest("details");
    if (menu) menu.open = false;
  }

  // The gear menu closes on Escape and when focus or a click leaves it.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    $$("details.gear[open]").forEach((menu) => {
      menu.open = false;
      $("summary", menu).focus();
    });
  });
  document.addEventListener("click", (event) => {
    $$("details.gear[open]").forEach((menu) => { if (!menu.contains(event.target)) menu.open = false; });
  });

  // ----- Sign-in: show only the field for the chosen method -------------------------------------
  function syncMethod() {
    const chosen = $("input[name=method]:checked");
    if (!chosen) return;
    $$("[data-method-field]").forEach((field) => { field.hidden = field.dataset.methodField !== chosen.value; });
  }
  document.addEventListener("change", (event) => { if (event.target.name === "method") syncMethod(); });

  // ----- Generate / Edit: expiry date, privileges ------------------------------------------------
  function syncExpiry() {
    const chosen = $("input[name=expiry]:checked");
    const dateField = $("[data-expiry-date]");
    if (chosen && dateField) dateField.hidden = chosen.value !== "date";
  }

  // The expiry date is typed as YYYY-MM-DD; a button beside it opens the browser's calendar
  // (a date input of its own, never sent) and writes the chosen day back in that form.
  function addDatePickers(root) {
    $$("input[data-date-picker]", root).forEach((field) => {
      if (field.dataset.pickerReady) return;
      field.dataset.pickerReady = "true";
      const calendar = document.createElement("input");
      calendar.type = "date";
      calendar.className = "date-picker-input";
      calendar.tabIndex = -1;
      calendar.setAttribute("aria-hidden", "true");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button date-picker-button";
      button.textContent = "Choose a date";
      button.setAttribute("aria-label", "Choose the expiration date from a calendar");
      button.addEventListener("click", () => {
        calendar.value = /^\d{4}-\d{2}-\d{2}$/.test(field.value) ? field.value : "";
        calendar.min = new Date().toISOString().slice(0, 10);
        if (typeof calendar.showPicker === "function") calendar.showPicker();
        else calendar.focus();
      });
      calendar.addEventListener("change", () => {
        if (!calendar.value) return;
        field.value = calendar.value;
        field.dispatchEvent(new Event("change", { bubbles: true }));
        field.focus();
      });
      field.after(button, calendar);
    });
  }

  function aclBoxes() { return $$("input[type=checkbox][name=acls]"); }

  function syncAcls() {
    const save = $("[data-requires-acl]");
    if (!save) return;
    const any = aclBoxes().some((b) => b.checked);
    save.disabled = !any;
    const hint = $("#acl-required");
    if (hint) hint.hidden = any;
  }

  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.name === "expiry") syncExpiry();
    if (box.name !== "acls") return;
    // As in WHM: ticking "all" ticks everything; unticking any box unticks "all".
    if (box.value === "all") aclBoxes().forEach((b) => { b.checked = box.checked; });
    else if (!box.checked) aclBoxes().filter((b) => b.value === "all").forEach((b) => { b.checked = false; });
    syncAcls();
  });

  document.addEventListener("click", (event) => {
    const tool = event.target.closest("[data-group-select]");
    if (!tool) return;
    const group = tool.closest("[data-acl-group]");
    const checked = tool.dataset.groupSelect === "all";
    $$("input[type=checkbox][name=acls]", group).forEach((b) => { b.checked = checked; });
    if (!checked) aclBoxes().filter((b) => b.value === "all").forEach((b) => { b.checked = false; });
    syncAcls();
  });

  // ----- The secret page: copy buttons; never comes back from history ---------------------------
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = $(button.dataset.copy);
    const status = $("#copy-status");
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = "Copied to the clipboard.";
    } catch (err) {
      field.select();
      status.textContent = "Press Ctrl+C (⌘C on a Mac) to copy the selected text.";
    }
  });

  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-replace-history]");
    if (!link) return;
    event.preventDefault();
    location.replace(link.href); // the secret page leaves the history, so Back cannot return to it
  });

  window.addEventListener("pagehide", () => {
    $$("[data-secret]").forEach((field) => { field.value = ""; });
  });
  window.addEventListener("pageshow", (event) => {
    const page = $("[data-secret-page]");
    if (page && event.persisted) location.replace(page.dataset.leaveUrl);
  });

  // ----- Plain form posts to WHM: one at a time, with the busy indicator ------------------------
  // Generate, Save and Sign in are ordinary form posts (the Generate response *is* the secret
  // page). A second click while the first is on its way would send WHM the request again: for
  // Generate, WHM creates the token on the first and refuses the second as a duplicate, and the
  // secret of the first is never seen.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!form.matches("form[data-whm-form]")) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "true";
    $$("button[type=submit]", form).forEach((button) => { button.setAttribute("aria-disabled", "true"); });
    const busy = $("#busy");
    if (busy) busy.classList.add("htmx-request");
  });
  // Back to a page the browser kept (bfcache): the form may be sent again.
  window.addEventListener("pageshow", () => {
    $$("form[data-whm-form]").forEach((form) => {
      delete form.dataset.submitting;
      $$("button[type=submit]", form).forEach((button) => { button.removeAttribute("aria-disabled"); });
    });
    const busy = $("#busy");
    if (busy) busy.classList.remove("htmx-request");
  });

  // ----- Where focus starts on a page that a form post or redirect opened ----------------------
  function placeFocus() {
    // A form that came back with errors: its first field in error (its message is described by it).
    const invalid = $("main [aria-invalid=true]");
    if (invalid) {
      const field = invalid.matches("fieldset") ? $("input, select, textarea", invalid) : invalid;
      if (field) { field.focus(); return; }
    }
    // Back from Generate or Edit: the row that was made or changed.
    const row = $("tr.row-highlight th[scope=row]");
    if (row) {
      row.tabIndex = -1;
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "center" });
    }
  }

  // A message that came with the page is in the live region before anything listens to it:
  // put it back a moment later, so screen readers announce it.
  function announceMessages() {
    const region = $("#messages");
    if (!region || !region.children.length) return;
    const shown = Array.from(region.children);
    region.replaceChildren();
    setTimeout(() => { region.replaceChildren(...shown); }, 150);
  }

  // ----- Start ---------------------------------------------------------------------------------
  function start() {
    reveal(document);
    addDatePickers(document);
    syncMethod();
    syncExpiry();
    syncAcls();
    syncSelection();
    placeFocus();
    announceMessages();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
