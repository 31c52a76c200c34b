/*
 * The installer page: polls the install status, shows progress or the failure with a retry, and
 * calls BX24.installFinish() only after the portal is provisioned
 * (sdk/bx24-js-sdk/system-functions/bx24-install-finish.md). Words live in the page (install.html).
 */
(function () {
  "use strict";

  var root = document.getElementById("install");
  var statusUrl = root.getAttribute("data-status-url");
  var retryUrl = root.getAttribute("data-retry-url");
  var STATES = ["working", "failed", "done", "unfinished"];

  function byId(id) {
    return document.getElementById(id);
  }

  function show(state) {
    STATES.forEach(function (name) {
      byId("state-" + name).hidden = name !== state;
    });
    byId("retry").hidden = state !== "failed";
    root.setAttribute("data-state", state);
  }

  var stepWords = JSON.parse(root.getAttribute("data-step-words") || "{}");

  /* The provisioning phases as the server reports them: done, current, todo or failed. */
  function showSteps(steps) {
    (steps || []).forEach(function (step) {
      var item = document.querySelector('#steps [data-step="' + step.key + '"]');
      if (!item) return;
      item.setAttribute("data-state", step.state);
      item.querySelector(".step-state").textContent = stepWords[step.state] || "";
    });
  }

  function finish() {
    AppFrame.ready(function (connected) {
      if (connected && AppFrame.installFinish()) show("done");
      else show("unfinished");
    });
  }

  function poll() {
    fetch(statusUrl)
      .then(function (answer) {
        return answer.json();
      })
      .then(function (status) {
        showSteps(status.steps);
        var waiting = byId("waiting");
        waiting.textContent = status.waiting || "";
        waiting.hidden = !status.waiting;
        if (status.status === "installed") return finish();
        if (status.status === "failed") {
          byId("error").textContent = status.error || "";
          byId("advice").textContent = status.advice || "";
          return show("failed");
        }
        var progress = byId("progress");
        progress.textContent = status.progress || "";
        progress.hidden = !status.progress;
        window.setTimeout(poll, 1000);
      })
      .catch(function () {
        window.setTimeout(poll, 2000);
      });
  }

  byId("retry").addEventListener("click", function () {
    show("working");
    fetch(retryUrl, { method: "POST" }).then(poll, poll);
  });
  show("working");
  poll();
})();
