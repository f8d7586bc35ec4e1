// Starts Swagger UI (vendored: scripts/vendor_swagger_ui.py) on /schema, from this origin only.
"use strict";
(function () {
  var root = document.getElementById("api-docs");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }

  // What the viewer leaves out for assistive technology, added to each part it renders:
  // a name for its menus of examples, and keyboard access to code blocks that scroll.
  function complete(scope) {
    scope.querySelectorAll("select:not([aria-label])").forEach(function (menu) {
      if (!menu.labels || menu.labels.length === 0) {
        menu.setAttribute("aria-label", menu.classList.contains("examples-select-element")
          ? "Beispiel wählen" : "Auswahl");
      }
    });
    scope.querySelectorAll(".highlight-code pre:not([tabindex]), pre.microlight:not([tabindex])")
      .forEach(function (block) {
        block.setAttribute("tabindex", "0");
      });
  }
  new MutationObserver(function () {
    complete(root);
  }).observe(root, { childList: true, subtree: true });

  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: false, // a link inside each operation's toggle button would nest controls
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // no badge from validator.swagger.io: nothing leaves this origin
    supportedSubmitMethods: ["get", "head"],
    defaultModelsExpandDepth: 0,
    syntaxHighlight: false, // plain code blocks in the site's colours
  });
})();
