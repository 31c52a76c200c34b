/*
 * The settings page: live validation of formula fields. While the administrator types, the formula
 * is sent to /settings/formula (with the frame's fields, so the server knows who asks) and the answer
 * - where the formula breaks - is shown under the field. The server checks again when saving.
 */
(function () {
  "use strict";

  var DELAY_MS = 300;

  function frameFields(form) {
    var data = new URLSearchParams();
    form.querySelectorAll("input[type=hidden]").forEach(function (input) {
      if (input.name !== "action") data.append(input.name, input.value);
    });
    return data;
  }

  function show(input, message) {
    var box = input.closest(".field");
    var note = document.getElementById("e-" + input.name);
    box.classList.toggle("field-error", Boolean(message));
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    note.textContent = message || "";
    note.hidden = !message;
    if (window.AppFrame) window.AppFrame.fitWindow();
  }

  function check(form, input) {
    var data = frameFields(form);
    data.append("formula", input.value);
    fetch(form.getAttribute("data-check-url"), { method: "POST", body: data })
      .then(function (answer) { return answer.json(); })
      .then(function (result) {
        var template = form.getAttribute("data-position-text") || "{message}";
        show(input, result.ok ? "" : template.replace("{position}", result.position).replace("{message}", result.message));
      })
      .catch(function () { /* the server checks again on save */ });
  }

  /* A rule shows only its kind's fields (percent, tiers or formula). */
  function showKind(select) {
    var rule = select.closest(".rule");
    rule.querySelectorAll("[data-for-kind]").forEach(function (part) {
      part.hidden = part.getAttribute("data-for-kind").split(" ").indexOf(select.value) < 0;
    });
    if (window.AppFrame) window.AppFrame.fitWindow();
  }

  /* A row's field that matters only for one choice of another (a campaign's fixed date, a definition's
   * approvers) shows while that choice is made; hidden, it still posts what it holds. */
  function showWhen(form) {
    form.querySelectorAll("[data-when]").forEach(function (part) {
      var control = document.getElementById("f-" + part.getAttribute("data-when"));
      if (control) part.hidden = control.value !== part.getAttribute("data-when-value");
    });
    if (window.AppFrame) window.AppFrame.fitWindow();
  }

  function start() {
    var form = document.getElementById("settings-form");
    if (!form) return;
    showWhen(form);
    form.querySelectorAll("[data-rows] select").forEach(function (select) {
      select.addEventListener("change", function () { showWhen(form); });
    });
    form.querySelectorAll(".rule select[name$='-kind']").forEach(function (select) {
      select.addEventListener("change", function () { showKind(select); });
    });
    form.querySelectorAll("input[data-formula]").forEach(function (input) {
      var timer = null;
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { check(form, input); }, DELAY_MS);
      });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
