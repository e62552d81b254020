// Every page: one polite live region for what changes without a page load, the focus kept after
// an htmx update, and the confirmation after a form was sent taking the focus so it is read first.
(function () {
  "use strict";
  var announcer = document.getElementById("live-announcer");

  function announce(text) {
    if (!announcer || !text) {
      return;
    }
    // Emptied first and refilled a moment later, so a repeated message is announced again.
    announcer.textContent = "";
    window.setTimeout(function () {
      announcer.textContent = text;
    }, 50);
  }
  window.trdclinic = window.trdclinic || {};
  window.trdclinic.announce = announce;

  function takeFocus(element, scroll) {
    if (!element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.setAttribute("data-focus-target", "");
    element.focus({ preventScroll: !scroll });
  }

  // After a POST/redirect the confirmation (or error) is read first and the focus is not left on
  // the page's body: it goes to the part of the page the redirect points at (#trials) when there
  // is one, else to the message itself (as GOV.UK's success notification banner does). Done after
  // load: Chrome clears the focus when it scrolls to the fragment.
  // A page that answers a search says what it found the same way (data-announce-on-load).
  var pageMessages =
    document.getElementById("page-messages") || document.querySelector("[data-announce-on-load]");
  if (pageMessages) {
    announce(pageMessages.textContent.trim().replace(/\s+/g, " "));
    window.addEventListener("load", function () {
      var focusedAlready = document.activeElement && document.activeElement !== document.body;
      if (focusedAlready || document.querySelector("[autofocus]")) {
        return;
      }
      var fragment = window.location.hash && document.getElementById(window.location.hash.slice(1));
      // Focusing the fragment brings it into view, where the redirect meant the page to open.
      takeFocus(fragment || pageMessages, Boolean(fragment));
    });
  }

  // htmx replaces a region: when the focus was inside it, the new region takes it back rather
  // than leaving it on the page's body. A region that says what changed (data-announce) is read.
  var focusWasIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    focusWasIn = target && target.id && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var region = (target && target.id && document.getElementById(target.id)) || target;
    var active = document.activeElement;
    if (focusWasIn && (!active || active === document.body)) {
      var swapped = document.getElementById(focusWasIn);
      if (swapped) {
        takeFocus(swapped, false);
      }
    }
    focusWasIn = null;
    if (region) {
      var said = region.closest("[data-announce]") || region.querySelector("[data-announce]");
      if (said) {
        announce(said.getAttribute("data-announce"));
      }
    }
  });
})();
