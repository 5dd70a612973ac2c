/* Event Manager member pages: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // Sign-up proposes the browser's time zone (the member can still change it).
  function proposeTimeZone() {
    document.querySelectorAll("[data-propose-time-zone]").forEach(function (field) {
      if (field.value && field.dataset.userChose) return;
      try {
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (zone && Array.prototype.some.call(field.options || [], function (o) { return o.value === zone; })) {
          field.value = zone;
        } else if (zone && field.tagName === "INPUT") {
          field.value = zone;
        }
      } catch (e) { /* keep the server's default */ }
    });
  }

  // "Copy" buttons: data-copy-target="#id" copies that field's value and says so.
  function copyButtons() {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (button.dataset.copyReady) return;  // also run after each htmx swap: once per button
      button.dataset.copyReady = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var target = document.querySelector(button.dataset.copyTarget);
        var status = document.getElementById(button.dataset.copyStatus || "");
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.value || target.textContent).then(function () {
          if (status) status.textContent = "Copied to the clipboard.";
        });
      });
    });
  }

  // After an in-place update, move focus to the updated region's heading or status so
  // keyboard and screen-reader users know what changed.
  function focusAfterSwap(event) {
    var target = event.detail && event.detail.target;
    // An outerHTML swap replaced the target: find its successor by id.
    if (target && !target.isConnected && target.id) target = document.getElementById(target.id);
    if (!target) return;
    var focus = target.querySelector("[data-focus-after-swap]") || target.querySelector("[role=status]");
    if (focus) {
      if (!focus.hasAttribute("tabindex")) focus.setAttribute("tabindex", "-1");
      focus.focus();
    }
  }

  function ready() {
    proposeTimeZone();
    copyButtons();
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
  document.addEventListener("htmx:afterSwap", focusAfterSwap);
  document.addEventListener("htmx:afterSwap", copyButtons);  // a swapped-in part may bring its own

  // A refusal (4xx) that comes back as the same partial with its message (the view marks it
  // X-Portal-Partial) is shown in place, as the page does without JavaScript; htmx swaps
  // only 2xx by default.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Portal-Partial")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
