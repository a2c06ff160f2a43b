/* Cotalker Webhooks panel: the little JS the server cannot do.
 * - Code suggestion from the Name (same rule as webhooks.panel.queries.code_suggest);
 * - Copy buttons (navigator.clipboard);
 * - select-all checkbox of the list;
 * - the dialogs (a log, the resume of a paused webhook): each opened with showModal() once
 *   HTMX has loaded its body ([data-dialog-body]), focus moves into it and returns to the
 *   opener when it closes (Escape, Close, Cancel);
 * - announcing what an HTMX swap changed (elements with data-announce) in the
 *   polite live region #announcer, and keeping keyboard focus across swaps;
 * - the language switch returns to the current address (HTMX may have pushed one);
 * - the browser's time zone, told to the server once (a cookie);
 * - "Deliveries in flight at once" shown only for the order per object (without JS,
 *   or while it shows an error, it is always shown);
 * - confirmations: bulk deactivation of the checked webhooks, and Activate/Deactivate while
 *   the webhook's form has unsaved edits (htmx:confirm, so the request waits for the answer);
 * - the time zone chooser: filtered as you type, and told the browser's zone for "Detect".
 * Listeners are delegated on document, so content swapped in by HTMX works too.
 * UI texts come from the server (data-text-* on <body>), already translated.
 */
(function () {
  "use strict";

  function codeSuggest(name) {
    return name
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .trim()
      .replace(/\s+/g, "_")
      .replace(/[^a-z0-9_]/g, "")
      .replace(/_+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 60)
      .replace(/_+$/, "");
  }
  window.codeSuggest = codeSuggest;

  function text(name, fallback) {
    return (document.body && document.body.dataset[name]) || fallback;
  }

  // --- live announcements ----------------------------------------------------

  // Announcements never go back in time: each takes a ticket when what it reports
  // happened, and one whose ticket is older than the last announced is dropped (the
  // page's own messages are read out late, and must not overwrite a newer action's).
  var announceTimer = null;
  var lastTicket = 0;
  var newestAnnounced = 0;
  function announceTicket() {
    lastTicket += 1;
    return lastTicket;
  }
  function announce(message, ticket) {
    var region = document.getElementById("announcer");
    if (!region || !message) return;
    ticket = ticket || announceTicket();
    if (ticket < newestAnnounced) return;
    newestAnnounced = ticket;
    // Clear first so that the same message twice in a row is read twice.
    region.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { region.textContent = message; }, 100);
  }
  window.panelAnnounce = announce;

  function messagesIn(root) {
    if (!root || !root.querySelectorAll) return "";
    var elements = Array.prototype.slice.call(root.querySelectorAll("[data-announce]"));
    if (root.matches && root.matches("[data-announce]")) elements.unshift(root);
    return elements.map(function (element) {
      return (element.dataset.announce || element.textContent || "").trim();
    }).filter(Boolean).join(" ");
  }

  function announceIn(root) {
    announce(messagesIn(root));
  }

  // --- code suggestion ---------------------------------------------------------

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.matches("[data-code-source]")) {
      var form = target.form;
      var code = form && form.querySelector("[data-code-suggest]");
      if (code && !code.readOnly && code.dataset.touched !== "true") {
        code.value = codeSuggest(target.value);
      }
    } else if (target.matches("[data-code-suggest]")) {
      // Once the administrator types a code, stop overwriting it (unless emptied).
      target.dataset.touched = target.value ? "true" : "false";
    }
  });

  // --- Copy and select-all -----------------------------------------------------

  function flash(button, label) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = label;
    announce(label);
    setTimeout(function () { button.textContent = original; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      var source = document.querySelector(button.dataset.copy);
      if (!source) return;
      var value = source.textContent;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(value).then(
          function () { flash(button, text("textCopied", "Copied")); },
          function () { flash(button, text("textCopyFailed", "Copy failed")); }
        );
      } else {
        flash(button, text("textCopyUnavailable", "Copy not available"));
      }
      return;
    }
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var table = all.closest("table");
      table.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    }
  });

  // --- order of deliveries --------------------------------------------------------

  function syncInFlight() {
    var box = document.querySelector("[data-in-flight]");
    if (!box) return;
    var mode = document.querySelector("input[data-ordering]:checked");
    var input = box.querySelector("input");
    var invalid = input && input.getAttribute("aria-invalid") === "true";
    box.hidden = Boolean(mode && mode.value !== "object" && !invalid);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[data-ordering]")) syncInFlight();
  });
  document.addEventListener("htmx:afterSettle", syncInFlight);

  // --- language switch -----------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-language-switch]") && form.elements.next) {
      form.elements.next.value = window.location.pathname + window.location.search + window.location.hash;
    }
  });

  // --- the dialogs (a log, the resume dialog) ----------------------------------------

  var opener = null;

  function isDialogBody(element) {
    return Boolean(element && element.matches && element.matches("[data-dialog-body]"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    // A link inside the dialog (to an earlier log) keeps the first opener.
    var elt = event.detail.elt;
    if (isDialogBody(target) && !(elt && elt.closest && elt.closest("dialog"))) {
      opener = elt;
    }
  });

  function focusOpener() {
    if (!opener) return;
    // A live refresh of the Logs table may have replaced the opener: find it again by id.
    var element = opener.isConnected ? opener : (opener.id && document.getElementById(opener.id));
    opener = null;
    if (element) element.focus();
  }

  document.addEventListener("close", function (event) {
    if (event.target.tagName === "DIALOG") focusOpener();
  }, true);

  // --- focus across swaps, and announcements ------------------------------------

  // Per request (its XHR, the same object in both events): whether the swapped part had the
  // focus, and the ticket of its announcement, taken when its response arrived. Not one
  // variable for all swaps: another swap (the logs' polling) may come between a swap and its
  // settle, and the settle of an older response must not announce over a newer one.
  var swaps = new WeakMap();

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    if (!event.detail.xhr) return;
    swaps.set(event.detail.xhr, {
      hadFocus: Boolean(target && active && active !== document.body && target.contains(active)),
      ticket: announceTicket()
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (isDialogBody(target)) {
      var dialog = target.closest("dialog");
      if (dialog && !dialog.open) dialog.showModal();
      var title = dialog && dialog.querySelector("h2[tabindex]");
      if (title) title.focus();
      return;
    }
    // The element that settled: after an outerHTML swap the new one (event.detail.target is
    // then the old one, out of the page, with the old content and its old announcement).
    var root = event.target;
    if (!root || !root.isConnected) return;
    var info = (event.detail.xhr && swaps.get(event.detail.xhr)) || {};
    // HTMX puts focus back on an element with the same id; if there is none, keep
    // the keyboard user in the part of the page that changed.
    if (info.hadFocus && (!document.activeElement || document.activeElement === document.body)) {
      var fallback = root.querySelector("[data-focus-fallback]") || root.closest("[tabindex]");
      if (fallback) fallback.focus();
    }
    announce(messagesIn(root), info.ticket);
  });

  document.addEventListener("htmx:oobAfterSwap", function (event) {
    // An outerHTML swap leaves event.detail.target, with its old messages, out of the page:
    // read the element that replaced it (an emptied #messages must not say its old text again).
    var target = event.detail.target;
    if (target && !target.isConnected && target.id) target = document.getElementById(target.id);
    announceIn(target);
  });

  // A form marked data-close-dialog (the log's Redeliver) closes its dialog once its request
  // succeeded. In this file rather than an hx-on attribute: the CSP allows no eval.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!event.detail.successful || !form || !form.matches || !form.matches("[data-close-dialog]")) return;
    var dialog = form.closest("dialog");
    if (dialog) dialog.close();
  });

  // Messages rendered with the page (after a redirect: "Saved.", ...), and the first
  // field with an error, so that a screen reader user hears what happened.
  function onLoad() {
    syncInFlight();
    // Read out after a pause (a screen reader misses a live region changed during load),
    // with the ticket of now: an action taken during the pause is newer and wins.
    var messages = messagesIn(document.querySelector(".messages"));
    if (messages) {
      var ticket = announceTicket();
      setTimeout(function () { announce(messages, ticket); }, 400);
    }
    var invalid = document.querySelector("#webhook-form [aria-invalid=true], #general [aria-invalid=true]");
    if (invalid) invalid.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onLoad);
  } else {
    onLoad();
  }
  // --- confirmations ------------------------------------------------------------

  // The form's values differ from those it was drawn with (or it was drawn with values that
  // were posted but not saved: data-unsaved, set by the server when the form shows errors).
  function hasUnsavedEdits(form) {
    if (!form) return false;
    if (form.dataset.unsaved === "true") return true;
    return Array.prototype.some.call(form.elements, function (element) {
      if (!element.name || element.disabled) return false;
      if (element.type === "checkbox" || element.type === "radio") return element.checked !== element.defaultChecked;
      if (element.tagName === "SELECT") {
        var options = Array.prototype.slice.call(element.options);
        var drawn = options.filter(function (option) { return option.defaultSelected; });
        if (!drawn.length && options.length && !element.multiple) drawn = [options[0]];
        return options.some(function (option) { return option.selected !== (drawn.indexOf(option) !== -1); });
      }
      if (/^(hidden|submit|button|reset)$/.test(element.type)) return false;
      return element.value !== element.defaultValue;
    });
  }

  function confirmationFor(element) {
    if (element.matches("[data-confirm-checked]") && element.querySelector("input[name=ids]:checked")) {
      return element.dataset.confirmChecked;
    }
    if (element.matches("[data-confirm-unsaved]") && hasUnsavedEdits(document.getElementById(element.dataset.confirmUnsaved))) {
      return element.dataset.confirmUnsavedText;
    }
    return "";
  }

  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    var question = element && element.matches && confirmationFor(element);
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // --- time zone chooser ------------------------------------------------------------

  function folded(value) {
    return value.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/_/g, " ").toLowerCase();
  }

  function filterZones(input) {
    var select = document.querySelector(input.dataset.zoneSearch);
    if (!select) return;
    var words = folded(input.value).split(/[\s\/]+/).filter(Boolean);
    var first = null;
    var count = 0;
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return; // "Detect from this browser" is always offered
      var group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
      var text = folded(option.value + " " + option.textContent + " " + group);
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      option.hidden = !match;
      if (match) {
        count += 1;
        first = first || option;
      }
    });
    select.querySelectorAll("optgroup").forEach(function (group) {
      group.hidden = !group.querySelector("option:not([hidden])");
    });
    // Enter saves what was found: the first match, unless the selected zone matches too.
    var selected = select.options[select.selectedIndex];
    if (words.length && first && (!selected || selected.hidden || !selected.value)) first.selected = true;
    if (input.dataset.textMatches) announce(input.dataset.textMatches.replace("{count}", count));
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-zone-search]")) filterZones(event.target);
  });

  function browserZone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return zone && /^[A-Za-z0-9_+\/-]+$/.test(zone) ? zone : "";
    } catch (error) {
      return "";
    }
  }

  (function enhanceZoneChooser() {
    var search = document.getElementById("zone-search-field");
    if (search) search.hidden = false;
    document.querySelectorAll("[data-browser-zone]").forEach(function (input) { input.value = browserZone(); });
  })();

  // --- time zone ---------------------------------------------------------------

  // The first visit tells the server the browser's zone (a cookie it reads on every page:
  // webhooks/panel/timezones.py); a page already drawn in another zone (its times, or the zone
  // named in the top bar) is drawn again, once: only if the cookie was kept.
  (function detectTimeZone() {
    var remembered = /(?:^|;\s*)panel_tz=/;
    if (remembered.test(document.cookie)) return;
    var zone = browserZone();
    if (!zone) return;
    document.cookie = "panel_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    var drawnIn = document.body && document.body.dataset.timeZone;
    var showsZone = document.querySelector("time[datetime], #time-zone-link");
    if (drawnIn && drawnIn !== zone && showsZone && remembered.test(document.cookie)) location.reload();
  })();
})();
