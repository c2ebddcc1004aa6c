// Starts Redoc on the API docs page (templates/drf_spectacular/redoc.html) from a
// file rather than an inline script, which the Content-Security-Policy refuses.
// Redoc puts the nonce it is given on the <style> elements it generates.
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var options = JSON.parse(container.dataset.settings);
  options.nonce = document.currentScript.nonce;
  Redoc.init(container.dataset.specUrl, options, container);
})();
