/* Cotalker Webhooks panel: the little JS the server cannot do.
 * - Code suggestion from the Name (same rule as webhooks.panel.code_suggest);
 * - Copy buttons (navigator.clipboard);
 * - select-all checkbox of the list;
 * - opening the Logs dialog once HTMX has loaded a log into it.
 * Listeners are delegated on document, so content swapped in by HTMX works too.
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

  function flash(button, text) {
    var original = button.dataset.label || button.textContent;
    button.dataset.label = original;
    button.textContent = text;
    setTimeout(function () { button.textContent = original; }, 1500);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) {
      var source = document.querySelector(button.dataset.copy);
      if (!source) return;
      var text = source.textContent;
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(
          function () { flash(button, "Copied"); },
          function () { flash(button, "Copy failed"); }
        );
      } else {
        flash(button, "Copy not available");
      }
      return;
    }
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var table = all.closest("table");
      table.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "log-dialog-body") {
      var dialog = document.getElementById("log-dialog");
      if (dialog && !dialog.open) dialog.showModal();
    }
  });
})();
