// Trial form: show only the fields that apply to the chosen kind of treatment.
// Fields of other kinds are hidden and disabled, so they are not submitted either.
// Without JavaScript every field shows and the server ignores none: nothing depends on this.
(function () {
  "use strict";

  function applyKind(form) {
    var kindSelect = form.querySelector("select[name='kind']");
    if (!kindSelect) {
      return;
    }
    var kind = kindSelect.value;
    form.querySelectorAll(".trial-field[data-kinds]").forEach(function (wrapper) {
      var applies = wrapper.dataset.kinds.split(" ").indexOf(kind) !== -1;
      wrapper.hidden = !applies;
      wrapper.querySelectorAll("input, select, textarea").forEach(function (control) {
        control.disabled = !applies;
      });
    });
    form.querySelectorAll("fieldset").forEach(function (fieldset) {
      var fields = fieldset.querySelectorAll(".trial-field");
      var shown = Array.prototype.some.call(fields, function (field) {
        return !field.hidden;
      });
      fieldset.hidden = fields.length > 0 && !shown;
    });
  }

  document.querySelectorAll("form[data-trial-form]").forEach(function (form) {
    applyKind(form);
    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") {
        applyKind(form);
      }
    });
    // Live feedback replaces the manual check when htmx is running.
    if (window.htmx) {
      form.querySelectorAll("[data-preview-button]").forEach(function (button) {
        button.hidden = true;
      });
    }
  });
})();
