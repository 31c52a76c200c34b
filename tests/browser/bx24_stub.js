/*
 * Stands in for the portal's library (//api.bitrix24.com/api/v1/) in tests/browser: records every call
 * into window.__bx24calls and, like the portal, resizes the app's iframe on fitWindow/resizeWindow
 * (by a message to the portal page, which owns the iframe).
 */
(function () {
  var calls = (window.__bx24calls = []);
  function record(name, args) { calls.push({ name: name, args: args }); }
  function resize(height) { parent.postMessage({ bx24stub: "resize", height: height }, "*"); }
  function contentHeight() { return Math.ceil(document.body.getBoundingClientRect().height); }
  function later(callback) { if (typeof callback === "function") setTimeout(callback, 0); }
  window.BX24 = {
    init: function (callback) { record("init", []); later(callback); },
    fitWindow: function (callback) { record("fitWindow", []); resize(contentHeight()); later(callback); },
    resizeWindow: function (width, height, callback) {
      record("resizeWindow", [width, height]); resize(height); later(callback);
    },
    openPath: function (path, callback) { record("openPath", [path]); },
    installFinish: function () { record("installFinish", []); },
    setTitle: function (title, callback) { record("setTitle", [String(title)]); later(callback); }
  };
})();
