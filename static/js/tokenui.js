// TokenUI's behaviour on top of server-rendered pages: only what neither the platform (popover,
// <dialog> and <form method="dialog">, CSS :has()) nor htmx does, each part saying why. Every flow
// also works as plain links and forms with JavaScript off. No inline scripts (strict CSP), so no
// hx-on attributes either: htmx runs them through eval.
"use strict";

(function () {
  const $ = (selector, root = document) => root.querySelector(selector);
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

  // Controls that need this file (.js-only) are revealed by CSS once this class is set: CSS's
  // @media (scripting) says that scripts may run, not that this one did.
  document.documentElement.classList.add("js");

  // Focus somewhere that can take it: the first of `candidates` that is connected and visible.
  function focusFirst(...candidates) {
    for (const el of candidates) {
      if (!el || !el.isConnected || !el.checkVisibility()) continue;
      el.focus();
      if (document.activeElement === el) return;
    }
  }
  const lostFocus = () => !document.activeElement || document.activeElement === document.body;
  // The button that opens the popover holding `el`, when `el` is in one.
  function popoverInvoker(el) {
    const popover = el && el.closest && el.closest("[popover]");
    return popover ? $(`[popovertarget="${popover.id}"]`) : null;
  }

  // ----- Dialogs: confirmations are real pages that htmx loads into the <dialog> ----------------
  // Markup cannot open a <dialog> as a modal (showModal: focus moves in, on [autofocus], and back
  // on close; any open menu closes) and htmx only swaps it in: opening it is the one step left to
  // us. Closing is the platform's: Cancel and Close submit the question's <form method="dialog">,
  // Escape cancels. The opener is remembered because a menu item that opened the dialog is hidden
  // with its menu by the time the dialog closes, so the platform cannot give focus back to it.
  let opener = null;
  const dialog = () => $("#dialog");

  // Where an answer asks focus to go: the element it marks [autofocus] (htmx focuses it when the
  // swap settles, but not while a modal dialog makes the page behind it inert), else the
  // message it brought (an action's outcome is the next thing to read). `asker`: what had
  // focus when the request left.
  let answer = { focus: null, message: null, asker: null };

  document.addEventListener("htmx:beforeRequest", (event) => {
    if (event.detail.target && event.detail.target.id === "dialog") opener = document.activeElement;
    answer = { focus: null, message: null, asker: document.activeElement };
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    const target = event.detail.target;
    if (target.id === "dialog") {
      // htmx binds the new content's hx-post only as the swap settles (20 ms on, later on a
      // busy machine): a keyboard user quick to Tab and Enter would post the question as a plain
      // page. Bound now, before it is shown, the answer always comes back as a swap.
      htmx.process(target);
      if (!target.open) target.showModal();
      return;
    }
    const swapped = event.target;
    answer.focus = answer.focus
      || (swapped.matches("[autofocus]") ? swapped : $("[autofocus]", swapped));
  });

  document.addEventListener("htmx:oobAfterSwap", (event) => {
    const region = event.detail.target;
    if (region.id === "messages" && region.children.length) answer.message = region;
  });

  // A successful action inside the dialog (Continue) closes it: htmx swaps the table, not it, and
  // the post cannot also be a <form method="dialog">.
  document.addEventListener("htmx:afterRequest", (event) => {
    const d = dialog();
    if (d && d.open && d.contains(event.detail.elt) && event.detail.successful !== false
        && event.detail.target.id !== "dialog") {
      d.close();
    }
  });

  // The platform gives focus back to the opener only while it is there; when it has gone (its
  // row was revoked, the table with its menu redrawn), focus goes where the answer asks (the
  // message saying what was done, or the news of a rotation), else to the menu's button or the
  // table's, never to <body>. Cancel asks nothing, so it goes back to the opener or its menu.
  // A closed <dialog> keeps its content: the question, stale now, is emptied. The close event
  // comes as a task of its own after the dialog has closed: on a busy machine a new question can
  // have opened it again by then, and that one is left alone (emptying it lost focus to <body>).
  document.addEventListener("close", (event) => {
    if (event.target.id !== "dialog" || event.target.open) return;
    event.target.replaceChildren();
    focusFirst(opener, answer.focus, answer.message, popoverInvoker(opener), $("#table-actions"),
      $("#search-q"), $("main"));
    opener = null;
  }, true);

  // A swapped table takes the focused element with it: htmx gives focus back to an element of
  // the same id (the sort links, the pages, Next and Previous). When that is gone (Next on the way to the
  // last page), the pager's other link; a message that came with the table (a failure) before
  // anything else; anything else (Refresh List, in its closed menu) goes to the table's menu
  // button.
  document.addEventListener("htmx:afterSettle", (event) => {
    const id = event.detail.target.id;
    if ((id !== "token-table" && id !== "fleet-table") || !lostFocus()) return;
    if (dialog() && dialog().open) return;
    const pager = answer.asker && answer.asker.closest && answer.asker.closest(".pager");
    const pages = pager && answer.asker.rel === "prev"
      ? [$("#page-prev"), $("#page-next")] : [$("#page-next"), $("#page-prev")];
    focusFirst(answer.message, ...(pager ? pages : []), $(".pager [aria-current]"), $("#table-actions"),
      $("#search-q"));
  });

  // ----- The gear menu (a popover): close it when focus leaves it -------------------------------
  // popover="auto" closes on Escape and on a click outside, but not when Tab moves on.
  document.addEventListener("focusout", (event) => {
    const menu = event.target.closest && event.target.closest("[popover]");
    const next = event.relatedTarget;
    if (!menu || !next || !menu.matches(":popover-open")) return;
    if (!menu.contains(next) && next !== popoverInvoker(menu)) menu.hidePopover();
  });

  // ----- Table selection: Select All Visible, Clear Selection -----------------------------------
  // The header box's mixed state has no markup: it is set from the rows' boxes.
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

  // No markup ticks a set of boxes. The menu closes itself (popovertargetaction="hide").
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-select-visible]")) setAll(true);
    if (event.target.closest("[data-clear-selection]")) setAll(false);
  });

  document.addEventListener("change", (event) => {
    if (event.target.id === "select-visible") setAll(event.target.checked);
    else if (event.target.matches("#table-form tbody input[type=checkbox]")) syncSelection();
  });

  // A table htmx swapped in comes with its boxes as the server drew them.
  document.addEventListener("htmx:load", syncSelection);

  // ----- Generate / Edit: the calendar, privileges ----------------------------------------------
  // The expiry is typed as YYYY-MM-DD; the button opens the browser's calendar (a date input of
  // its own, never sent: showPicker() has no markup equivalent) and copies the day back.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-date-picker-for]");
    if (!button) return;
    const field = document.getElementById(button.dataset.datePickerFor);
    const calendar = $(".date-picker-input", button.parentElement);
    calendar.value = /^\d{4}-\d{2}-\d{2}$/.test(field.value) ? field.value : "";
    calendar.min = new Date().toISOString().slice(0, 10);
    if (typeof calendar.showPicker === "function") calendar.showPicker();
    else calendar.focus();
  });
  document.addEventListener("change", (event) => {
    const calendar = event.target;
    if (!calendar.matches(".date-picker-input") || !calendar.value) return;
    const field = document.getElementById($("[data-date-picker-for]", calendar.parentElement).dataset.datePickerFor);
    field.value = calendar.value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });

  function aclBoxes() { return $$("input[type=checkbox][name=acls]"); }

  // CSS can show the hint (:has) but cannot disable a button: Save waits for one privilege.
  function syncAcls() {
    const save = $("[data-requires-acl]");
    if (save) save.disabled = !aclBoxes().some((b) => b.checked);
  }

  // As in WHM: ticking "all" ticks everything; unticking any box unticks "all".
  document.addEventListener("change", (event) => {
    const box = event.target;
    if (box.name !== "acls") return;
    if (box.value === "all") aclBoxes().forEach((b) => { b.checked = box.checked; });
    else if (!box.checked) aclBoxes().filter((b) => b.value === "all").forEach((b) => { b.checked = false; });
    syncAcls();
  });

  // Select all / Select none of one privilege group: no markup ticks a set of boxes.
  document.addEventListener("click", (event) => {
    const tool = event.target.closest("[data-group-select]");
    if (!tool) return;
    const group = tool.closest("[data-acl-group]");
    const checked = tool.dataset.groupSelect === "all";
    $$("input[type=checkbox][name=acls]", group).forEach((b) => { b.checked = checked; });
    if (!checked) aclBoxes().filter((b) => b.value === "all").forEach((b) => { b.checked = false; });
    syncAcls();
    // Ticking boxes from script fires no change event: say so, so that the form's risk flags
    // (redrawn on change) follow.
    group.dispatchEvent(new Event("change", { bubbles: true }));
  });

  // ----- Generate: role presets and the link to this form ---------------------------------------
  // Both are form posts with JavaScript off (the server re-renders the form with the preset's
  // boxes ticked, or redirects to the link); here they happen in the page, without a round trip.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-preset]");
    if (!button) return;
    event.preventDefault();
    const keys = new Set(button.dataset.acls.split(" ").filter(Boolean));
    aclBoxes().forEach((box) => { box.checked = keys.has(box.value); });
    $("#preset-chosen").value = button.dataset.preset;
    $("#preset-note").textContent = button.dataset.note;
    syncAcls();
    // Ticked from script: no change event of its own, so the risk flags would not follow.
    $("#privileges").dispatchEvent(new Event("change", { bubbles: true }));
  });

  // A preset shows pressed while the ticked boxes are exactly the ones it ticks, no more, no
  // fewer (the server draws it so; aria-pressed has no markup that follows the boxes). Every
  // change of a box reaches here: the user's own, and those ticked from script, which say so.
  function syncPresets() {
    const ticked = aclBoxes().filter((b) => b.checked).map((b) => b.value);
    $$("button[data-preset]").forEach((b) => {
      const keys = new Set(b.dataset.acls.split(" ").filter(Boolean));
      const exact = keys.size > 0 && ticked.length === keys.size && ticked.every((k) => keys.has(k));
      b.setAttribute("aria-pressed", String(exact));
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.closest && event.target.closest("#token-form")) syncPresets();
  });
  // The browser may restore the boxes as they were left (Back, a reload).
  window.addEventListener("pageshow", syncPresets);

  // The link encodes the form as it stands, in the names a prefilled link uses (never a secret:
  // the form has none). An empty acl= says "nothing ticked", which no acl at all would not.
  function formLink(form, path) {
    const params = new URLSearchParams();
    const value = (name) => { const el = form.elements.namedItem(name); return el ? el.value.trim() : ""; };
    if (value("preset")) params.append("preset", value("preset"));
    params.append("name", value("name"));
    if ($("#privileges", form)) { // cPanel's Create form has no privileges and no IPs
      const acls = aclBoxes().filter((b) => b.checked).map((b) => b.value);
      (acls.length ? acls : [""]).forEach((key) => params.append("acl", key));
      value("whitelist_ips").split(/[\s,]+/).filter(Boolean).forEach((ip) => params.append("ip", ip));
    }
    const never = $$("input[name=expiry]", form).some((r) => r.checked && r.value === "never");
    params.append("expires", never ? "never" : value("expires_on"));
    return new URL(`${path}?${params}`, location.href).href;
  }

  // ----- Copy buttons: the secret page's, and Copy link to this form ---------------------------
  // Markup cannot reach the clipboard. A [data-copy] button copies the field it names; Copy link
  // (a form post with JavaScript off) first writes the link into a field of its own, shown, so
  // that it can be copied by hand where the browser refuses.
  const copied = {
    text: "Copied to the clipboard.",
    link: "Link copied to the clipboard. It opens this form filled in as it is now.",
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy], button[data-copy-link]");
    if (!button) return;
    event.preventDefault();
    const what = button.dataset.copyLink ? "link" : "text";
    const field = $(what === "link" ? "#copied-link-url" : button.dataset.copy);
    const status = $(what === "link" ? "#copy-link-status" : "#copy-status");
    if (what === "link") {
      field.value = formLink(button.form, button.dataset.copyLink);
      $("#copied-link").hidden = false;
    }
    status.textContent = "";
    try {
      await navigator.clipboard.writeText(field.value);
      status.textContent = copied[what];
    } catch (err) {
      field.focus();
      field.select();
      status.textContent = `Press Ctrl+C (⌘C on a Mac) to copy the selected ${what}.`;
    }
  });

  // ----- The secret page never comes back from history ------------------------------------------
  // No markup makes a link or a form replace the current history entry: the secret page leaves
  // the history this way, so that Back cannot return to it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-replace-history]");
    if (!link) return;
    event.preventDefault();
    location.replace(link.href);
  });
  // cPanel's "Yes, I Saved My Token" is a GET form (its "Create another token" box goes with it).
  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-replace-history]");
    if (!form) return;
    event.preventDefault();
    const query = new URLSearchParams(new FormData(form)).toString();
    location.replace(form.action + (query ? "?" + query : ""));
  });

  // A page the browser keeps for Back (bfcache) keeps its fields' values: the secret goes first.
  window.addEventListener("pagehide", () => {
    $$("[data-secret]").forEach((field) => { field.value = ""; });
  });

  // ----- Plain form posts to WHM: one at a time, with the busy indicator ------------------------
  // hx-disabled-elt covers htmx requests only. Generate, Save and Sign in are ordinary form posts
  // (the Generate response *is* the secret page, a document of its own). A second click while the
  // first is on its way would send WHM the request again: for Generate, WHM creates the token on
  // the first and refuses the second as a duplicate, and the secret of the first is never seen.
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

  // ----- Back to a page the browser kept (bfcache) ---------------------------------------------
  // The browser shows it as it was left, script state and all: a secret page is left at once
  // (hx-history="false" keeps it out of htmx's history only), and a form that was on its way may
  // be sent again.
  window.addEventListener("pageshow", (event) => {
    const secretPage = $("[data-secret-page]");
    if (secretPage && event.persisted) {
      location.replace(secretPage.dataset.leaveUrl);
      return;
    }
    $$("form[data-whm-form]").forEach((form) => {
      delete form.dataset.submitting;
      $$("button[type=submit]", form).forEach((button) => { button.removeAttribute("aria-disabled"); });
    });
    const busy = $("#busy");
    if (busy) busy.classList.remove("htmx-request");
  });

  // ----- Where focus starts on a page that a form post or redirect opened ----------------------
  // autofocus cannot depend on the outcome: the first field in error, or the row just changed.
  function placeFocus() {
    const invalid = $("main [aria-invalid=true]");
    if (invalid) {
      const field = invalid.matches("fieldset") ? $("input, select, textarea", invalid) : invalid;
      if (field) { field.focus(); return; }
    }
    const row = $("tr.row-highlight th[scope=row]");
    if (row) {
      row.tabIndex = -1;
      row.focus({ preventScroll: true });
      row.scrollIntoView({ block: "center" });
    }
  }

  // A message that came with the page is in the live region before anything listens to it, so
  // screen readers would not announce it: a moment later it is put in again (the same element,
  // moved in place in one step), which they announce. It never leaves the page meanwhile:
  // taking it out and putting it back 150 ms later (as this did) left the page without it until
  // then, so whatever looked at the page as it loaded mostly missed it (issue 17 item 18).
  function announceMessages() {
    const region = $("#messages");
    if (!region || !region.children.length) return;
    setTimeout(() => {
      // A Dismiss with focus is left alone; the region's own focus (a page that opens on its
      // message) is not in the way of putting the message back in.
      const inside = document.activeElement;
      if (inside !== region && region.contains(inside)) return;
      region.append(...Array.from(region.children));
    }, 150);
  }

  // ----- Risk flags: one tooltip, on a flag's hover and in a focused row ------------------------
  // (issue 17 item 14) A flag takes no focus: its words are read in its cell, and its explanation
  // is written once a page, in the legend (.risk-legend: each flag's words, then its entry).
  // Nothing in the platform shows another element's text beside whatever is hovered or focused,
  // and repeating it in every row made a table 80% heavier; so one element, hidden from screen
  // readers (the words and the legend are theirs), is filled and placed here: on hovering a
  // flag, its explanation; while focus is on a row's box or links, every flag of that row.
  // It stays while the pointer is on it, and Escape closes it (WCAG 1.4.13).
  // It is position: fixed, so that it can never widen the page (an absolute one placed for a
  // wide window overflowed a narrowed one until the resize event came); it follows what it
  // explains when the page scrolls.
  let flagTip = null;
  let tipAnchor = null;
  function placeFlagTip() {
    const box = tipAnchor.getBoundingClientRect();
    const room = document.documentElement.clientWidth - flagTip.offsetWidth - 8;
    flagTip.style.left = `${Math.max(4, Math.min(box.left, room))}px`;
    flagTip.style.top = `${box.bottom + 4}px`;
  }
  function explanation(flag) {
    const words = flag.textContent.trim();
    const term = $$(".risk-legend dt").find((dt) => dt.textContent.trim() === words);
    const entry = term && term.nextElementSibling;
    return entry ? `${words}: ${entry.textContent.trim()}` : "";
  }
  function showFlagTip(anchor, flags) {
    const lines = flags.map(explanation).filter(Boolean);
    if (!lines.length) { hideFlagTip(); return; }
    if (!flagTip) {
      flagTip = Object.assign(document.createElement("div"), { id: "flag-tip", className: "flag-tip" });
      flagTip.setAttribute("aria-hidden", "true");
      document.body.append(flagTip);
    }
    flagTip.replaceChildren(...lines.map((line) => Object.assign(document.createElement("p"), { textContent: line })));
    flagTip.hidden = false;
    tipAnchor = anchor;
    placeFlagTip();
  }
  const hideFlagTip = () => { if (flagTip) flagTip.hidden = true; };
  const flagOf = (el) => (el instanceof Element ? el.closest(".flag") : null);
  // The flags of the row holding the focused control, when focus came by keyboard (a click's
  // focus would put the tooltip under the pointer between press and release, and the click
  // would land on neither), placed under that control so that it never hides it.
  function focusedRowFlags() {
    const el = document.activeElement;
    const row = el && el.closest && el.matches(":focus-visible") && el.closest("tbody tr");
    return row ? $$(".risk .flag", row) : [];
  }
  function showRowTip() {
    const flags = focusedRowFlags();
    if (flags.length) showFlagTip(document.activeElement, flags); else hideFlagTip();
  }
  document.addEventListener("mouseover", (event) => {
    const flag = flagOf(event.target);
    if (flag && !flag.closest(".risk-legend")) showFlagTip(flag, [flag]);
  });
  document.addEventListener("mouseout", (event) => {
    const to = event.relatedTarget;
    if (!(flagOf(event.target) || event.target === flagTip) || to === flagTip || flagOf(to)) return;
    showRowTip();  // the pointer left: back to the focused row's flags, if any
  });
  document.addEventListener("focusin", showRowTip);
  document.addEventListener("focusout", (event) => { if (!event.relatedTarget) hideFlagTip(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") hideFlagTip(); });
  document.addEventListener("htmx:beforeSwap", hideFlagTip);
  window.addEventListener("resize", hideFlagTip);
  document.addEventListener("scroll", () => { if (flagTip && !flagTip.hidden) placeFlagTip(); },
    { capture: true, passive: true });

  // ----- A row's Revoke opens its question in the dialog ---------------------------------------
  // (issue 17 item 15) An hx-get on every row's Revoke repeated its URL in each of 50 rows and
  // gave htmx 50 more elements to set up at every search; one listener does the same for the
  // row's last link. Its href is the question as a page of its own: with JavaScript off, and
  // for a click that opens a new tab or window, the browser follows it.
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element
      && event.target.closest("#token-table tbody .col-actions a:last-child");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    htmx.ajax("GET", link.href, { source: link, target: "#dialog", swap: "innerHTML" });
  });

  // ----- Start ---------------------------------------------------------------------------------
  // Save's state and the header box follow the boxes as drawn (or as the browser restored them).
  function start() {
    syncAcls();
    syncSelection();
    placeFocus();
    announceMessages();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
