/*
 * AppFrame: the one place our pages talk to the portal's BX24 library (//api.bitrix24.com/api/v1/).
 *
 * It loads the library itself (the address is this script tag's data-bx24-src) so that a blocked or
 * hanging script cannot stall the page: BX24.init first, then BX24.fitWindow after render, on resize and whenever the page's height
 * changes (sdk/bx24-js-sdk/system-functions/bx24-init.md, additional-functions/bx24-fit-window.md).
 * When the library did not load or never answers (a blocked script, the page opened outside the
 * portal), the page says so in its own words (#bx24-missing) instead of pretending to work.
 * Pages call AppFrame.ready(cb), fitWindow(), openPath(path), installFinish(), setTitle(title).
 */
(function () {
  "use strict";

  var CONNECT_TIMEOUT_MS = 8000; // loading the library and BX24.init together
  var LIBRARY_SRC = document.currentScript.getAttribute("data-bx24-src");
  var state = "loading"; // then "ready" or "missing"
  var waiting = [];
  var fitQueued = false;

  function library() {
    var bx = window.BX24;
    return bx && typeof bx.init === "function" ? bx : null;
  }

  function settle(next) {
    if (state !== "loading") return;
    state = next;
    document.documentElement.setAttribute("data-bx24", next);
    if (next === "missing") {
      var notice = document.getElementById("bx24-missing");
      if (notice) notice.hidden = false;
    }
    waiting.splice(0).forEach(function (callback) {
      callback(next === "ready");
    });
    if (next === "ready") watchSize();
  }

  function init() {
    var bx = library();
    if (!bx) {
      settle("missing");
      return;
    }
    bx.init(function () {
      settle("ready");
    });
  }

  function start() {
    window.setTimeout(function () {
      settle("missing");
    }, CONNECT_TIMEOUT_MS);
    if (library()) {
      init();
      return;
    }
    var script = document.createElement("script");
    script.src = LIBRARY_SRC;
    script.onload = init;
    script.onerror = function () {
      settle("missing");
    };
    document.head.appendChild(script);
  }

  /* Calls back with true once BX24 is initialised, or with false when it is not available. */
  function ready(callback) {
    if (state === "loading") waiting.push(callback);
    else callback(state === "ready");
  }

  function available() {
    return state === "ready";
  }

  /* Fits the portal's frame to the page; coalesced to one call per animation frame. */
  function fitWindow() {
    if (!available() || fitQueued) return;
    fitQueued = true;
    window.requestAnimationFrame(function () {
      fitQueued = false;
      window.BX24.fitWindow();
    });
  }

  function watchSize() {
    fitWindow();
    window.addEventListener("resize", fitWindow);
    if (typeof window.ResizeObserver === "function") {
      new window.ResizeObserver(fitWindow).observe(document.body);
    }
  }

  /* Opens a portal path (e.g. /crm/deal/details/5/) in the portal's slider; without BX24 the link's
     own href (the portal's address, in a new tab) is used. Returns true when BX24 took it. */
  function openPath(path, onClose) {
    if (!available()) return false;
    window.BX24.openPath(path, onClose || function () {});
    return true;
  }

  /* Tells the portal the install is complete; only meaningful on the install page after success. */
  function installFinish() {
    if (!available()) return false;
    window.BX24.installFinish();
    return true;
  }

  function setTitle(title) {
    document.title = title;
    if (available()) window.BX24.setTitle(title);
  }

  /* Links marked data-portal-path open in the slider instead of leaving the frame. */
  function onClick(event) {
    var link = event.target.closest ? event.target.closest("a[data-portal-path]") : null;
    if (link && openPath(link.getAttribute("data-portal-path"))) event.preventDefault();
  }

  window.AppFrame = {
    ready: ready,
    available: available,
    fitWindow: fitWindow,
    openPath: openPath,
    installFinish: installFinish,
    setTitle: setTitle,
  };
  document.addEventListener("click", onClick);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
