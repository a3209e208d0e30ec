// mlp-console: CSRF header for htmx, show-once modal dialogs, copy buttons, in-place row editors, project switcher.
(function () {
  "use strict";

  // --- CSRF: every htmx request to this origin carries the session's token.
  document.addEventListener("htmx:config:request", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    var request = evt.detail && evt.detail.ctx && evt.detail.ctx.request;
    if (!meta || !request) return;
    var url = new URL(request.action || "", document.baseURI);
    if (url.origin !== location.origin) return;
    request.headers["X-CSRF-Token"] = meta.content;
    // htmx 4 puts GET/DELETE form fields in the URL: keep a hidden CSRF field out of it.
    if (/^(GET|DELETE)$/.test(request.method) && request.body instanceof FormData) {
      Array.from(request.body.entries()).forEach(function (entry) {
        if (entry[1] === meta.content) request.body.delete(entry[0]);
      });
    }
  });

  // --- A form that carries a secret (Find a token by value) is emptied once htmx has read it, so the
  // pasted value does not stay on the page. htmx has already built the request body at this point.
  document.addEventListener("htmx:config:request", function (evt) {
    var form = evt.target && evt.target.closest ? evt.target.closest("form[data-clear-on-send]") : null;
    if (form) form.reset();
  });

  // --- Dialogs: <dialog data-modal> opens once; closing removes it (and any secret in it).
  var shown = new WeakSet();
  var openDialogs = []; // [{dialog, opener}] in opening order

  var FIELDS = "input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])";
  var FOCUSABLE = FIELDS + ", button:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";

  function restoreFocus(opener) {
    // An opener swapped out meanwhile (e.g. a renewed token's row) is found again by its id.
    var current = opener && (opener.isConnected ? opener : opener.id && document.getElementById(opener.id));
    var target = current || document.querySelector("[data-focus-fallback]");
    if (target) target.focus();
  }

  function forgetDisconnected() {
    // A swap may replace an open dialog without a "close" event (e.g. a refused form
    // re-render or the show-once step). Hand its opener to the next dialog.
    var inherited = null;
    openDialogs = openDialogs.filter(function (entry) {
      if (entry.dialog.isConnected) return true;
      inherited = entry.opener;
      return false;
    });
    return inherited;
  }

  function openDialog(dialog) {
    if (shown.has(dialog) || !dialog.isConnected) return;
    shown.add(dialog);
    var active = document.activeElement;
    var inherited = forgetDisconnected();
    var opener = active && active !== document.body && !active.closest("dialog") ? active : inherited;
    if (dialog.open) dialog.removeAttribute("open"); // server-rendered open (no-JS) -> make it modal
    dialog.showModal();
    openDialogs.push({ dialog: dialog, opener: opener });
    var field = dialog.querySelector("[autofocus]") || dialog.querySelector(FIELDS) || dialog.querySelector(FOCUSABLE);
    if (field) field.focus();

    dialog.addEventListener("close", function () {
      openDialogs = openDialogs.filter(function (entry) { return entry.dialog !== dialog; });
      if (awaitsAnswer(dialog)) dialog.setAttribute("data-closed", "");
      else dialog.remove();
      restoreFocus(opener);
    }, { once: true });
  }

  // A dialog closed (Escape, Cancel) while a request it sent is in flight stays in the page, closed and
  // hidden, so htmx still finds the target of the answer: for Create and Renew that answer is the only
  // showing of a new token value, and it opens as its own dialog. Once nothing in it awaits an answer, it goes.
  function awaitsAnswer(dialog) {
    return dialog.classList.contains("htmx-request") || !!dialog.querySelector(".htmx-request");
  }

  function dropClosedDialogs() {
    document.querySelectorAll("dialog[data-closed]").forEach(function (dialog) {
      if (!dialog.open && !awaitsAnswer(dialog)) dialog.remove();
    });
  }

  // htmx clears its request class just after this event, hence the timeout.
  document.addEventListener("htmx:finally:request", function () { setTimeout(dropClosedDialogs, 0); });

  function openPendingDialogs() {
    document.querySelectorAll("dialog[data-modal]").forEach(openDialog);
    // An open dialog removed by a swap (e.g. out-of-band delete) gets no "close" event.
    var lost = forgetDisconnected();
    var active = document.activeElement;
    if (lost !== null && !(active && active.closest("dialog"))) restoreFocus(lost);
  }

  // Copy buttons need this script, so the page ships them hidden and only a scripted page shows them.
  function revealCopyButtons() {
    document.querySelectorAll("button[data-copy][hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function onPageChange() {
    revealCopyButtons();
    openPendingDialogs();
    dropClosedDialogs();
  }

  document.addEventListener("htmx:after:swap", onPageChange);

  // A [data-close-dialog] button is a "Cancel": it closes without submitting anything.
  document.addEventListener("click", function (evt) {
    var closer = evt.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) {
      evt.preventDefault();
      dialog.close();
    }
  });

  // --- Copy buttons: <button data-copy="ID"> copies #ID and reports in [data-copy-status].
  function nearestStatus(el) {
    for (var node = el.parentElement; node; node = node.parentElement) {
      var status = node.querySelector("[data-copy-status]");
      if (status) return status;
    }
    return null;
  }

  function report(status, state, message) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = "";
    // Re-set a moment later so screen readers announce a repeated message too.
    setTimeout(function () { status.textContent = message; }, 30);
  }

  function selectText(field) {
    if (typeof field.select === "function") {
      field.focus();
      field.select();
    } else {
      var range = document.createRange();
      range.selectNodeContents(field);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest("button[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var status = nearestStatus(button);
    var text = "value" in field ? field.value : field.textContent;
    var failed = function (err) {
      // Log only the kind of failure, never the value.
      console.warn("mlp-console: copy failed:", err && err.name ? err.name : String(err));
      report(status, "error", "Copy failed \u2014 select the value and press Ctrl+C");
      selectText(field);
    };
    if (!navigator.clipboard || typeof navigator.clipboard.writeText !== "function") {
      failed(new Error("Clipboard API unavailable"));
      return;
    }
    navigator.clipboard.writeText(text).then(function () {
      report(status, "ok", "Copied");
    }, failed);
  });

  // --- In-place editors: a row swapped into a form (tr[data-edit-row]) and back.
  // Escape in it clicks its Cancel ([data-cancel-edit]); once the plain row is back, its Edit description button
  // has the focus.
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape" || !(evt.target instanceof Element)) return;
    var row = evt.target.closest("[data-edit-row]");
    var cancel = row && row.querySelector("[data-cancel-edit]");
    if (!cancel) return;
    evt.preventDefault();
    cancel.click();
  });

  var editedRowId = null;
  document.addEventListener("htmx:before:request", function (evt) {
    var row = evt.target instanceof Element ? evt.target.closest("[data-edit-row]") : null;
    editedRowId = row ? row.id : null;
  });
  document.addEventListener("htmx:after:swap", function () {
    var row = editedRowId && document.getElementById(editedRowId);
    editedRowId = null;
    var opener = row && !row.hasAttribute("data-edit-row") ? row.querySelector(".edit-description") : null;
    if (opener) opener.focus();
  });

  // --- Project switcher: <select data-autosubmit> submits its form on change.
  document.addEventListener("change", function (evt) {
    var select = evt.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onPageChange);
  } else {
    onPageChange();
  }
})();
