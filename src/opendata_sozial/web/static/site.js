// Progressive enhancement only: every page works without this file.
// Adds a "Kopieren" button to code blocks (snippets, citations) and announces the result.
(function () {
  "use strict";

  function announce(message) {
    var live = document.getElementById("live-status");
    if (live) {
      live.textContent = "";
      window.setTimeout(function () { live.textContent = message; }, 50);
    }
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function addCopyButton(block) {
    var pre = block.querySelector("pre");
    if (!pre) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button button--small copy-button";
    button.textContent = "Kopieren";
    button.setAttribute("aria-label", (pre.getAttribute("aria-label") || "Code") + " kopieren");
    button.addEventListener("click", function () {
      copyText(pre.textContent).then(function () {
        button.textContent = "Kopiert";
        announce("In die Zwischenablage kopiert.");
        window.setTimeout(function () { button.textContent = "Kopieren"; }, 2000);
      }, function () {
        announce("Kopieren nicht möglich; bitte markieren und kopieren.");
      });
    });
    block.classList.add("code-block--copyable");
    block.appendChild(button);
  }

  // On narrow screens the search filters start folded, so the results come first.
  function foldOnNarrowScreens(panel) {
    var narrow = window.matchMedia && window.matchMedia("(max-width: 60rem)").matches;
    if (narrow && !panel.querySelector("input:checked:not([value=''])")) {
      panel.removeAttribute("open");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".code-block"), addCopyButton);
    Array.prototype.forEach.call(document.querySelectorAll("[data-collapse-narrow]"), foldOnNarrowScreens);
  });
})();
