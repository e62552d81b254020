// The checklist page: messages where the clinician is, sections opened from the table of contents.
(function () {
  "use strict";
  var messages = document.getElementById("checklist-messages");
  // A message after saving (or an error) takes the focus, so it is read and seen at once; after
  // the page has loaded, or the browser's own move to the #checklist-saved fragment undoes it.
  if (messages && messages.children.length) {
    window.addEventListener("load", function () {
      document.getElementById("checklist-saved").scrollIntoView({ block: "start" });
      messages.focus({ preventScroll: true });
    });
  }
  function openSection(id) {
    var section = document.getElementById(id);
    if (section && section.tagName === "DETAILS" && !section.open) {
      section.open = true;
    }
    return section;
  }
  // From the table of contents the focus follows to the section's heading, so the next Tab
  // reaches its items rather than the next entry of the contents.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-open-section]");
    var section = link && openSection(link.getAttribute("data-open-section"));
    var summary = section && section.querySelector("summary");
    if (summary) {
      // The link's own jump to the fragment would clear the focus in Chrome: done here instead.
      event.preventDefault();
      window.history.pushState(null, "", "#" + section.id);
      section.scrollIntoView({ block: "start" });
      summary.focus({ preventScroll: true });
    }
  });
  // A section's items loaded on opening are announced; the focus stays on its heading.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var section = event.detail.target && event.detail.target.closest(".checklist-section");
    if (section && window.trdclinic) {
      var items = section.querySelectorAll(".checklist-item").length;
      var label = section.querySelector("summary .fw-semibold").textContent.trim();
      window.trdclinic.announce(label + ": " + items + (items === 1 ? " item" : " items") + " loaded.");
    }
  });
  if (window.location.hash) {
    openSection(window.location.hash.slice(1));
  }
  // A section that fails to load says so in the live region, next to the save button.
  document.body.addEventListener("htmx:responseError", function () {
    if (messages) {
      messages.innerHTML = "";
      var alert = document.createElement("div");
      alert.className = "alert alert-danger py-1 mb-0";
      alert.textContent = "This section could not be loaded. Reload the page to try again.";
      messages.appendChild(alert);
      messages.focus({ preventScroll: true });
    }
  });
})();
