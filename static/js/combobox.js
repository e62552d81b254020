// Suggestions a keyboard can drive: a text field with a <datalist> becomes an ARIA combobox
// (WAI-ARIA Authoring Practices, "Editable Combobox With List Autocomplete"). The browser's own
// datalist popup is not reachable by screen readers in every browser and cannot be driven with
// the arrow keys in all of them. Without JavaScript the datalist still suggests.
(function () {
  "use strict";
  var MOST_SHOWN = 10;

  function announce(text) {
    if (window.trdclinic && window.trdclinic.announce) {
      window.trdclinic.announce(text);
    }
  }

  function enhance(input) {
    var datalist = document.getElementById(input.getAttribute("list"));
    if (!datalist || !input.id) {
      return;
    }
    var choices = Array.prototype.map.call(datalist.options, function (option) {
      return { value: option.value, hint: option.textContent.trim() };
    });
    var list = document.createElement("ul");
    list.id = input.id + "-suggestions";
    list.className = "combobox-list list-unstyled";
    list.setAttribute("role", "listbox");
    // Named apart from the field, so the field's label names the field alone.
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    input.removeAttribute("list");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.parentNode.classList.add("combobox");
    input.insertAdjacentElement("afterend", list);
    var shown = [];
    var active = -1;

    function setActive(index) {
      shown.forEach(function (item, position) {
        item.setAttribute("aria-selected", position === index ? "true" : "false");
      });
      active = index;
      if (index < 0) {
        input.removeAttribute("aria-activedescendant");
        return;
      }
      input.setAttribute("aria-activedescendant", shown[index].id);
      shown[index].scrollIntoView({ block: "nearest" });
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function open(showAll) {
      var typed = input.value.trim().toLowerCase();
      var matches = choices.filter(function (choice) {
        return (
          showAll ||
          (typed &&
            (choice.value.toLowerCase().indexOf(typed) !== -1 ||
              choice.hint.toLowerCase().indexOf(typed) !== -1))
        );
      });
      // Names that start with what was typed come first, then names that hold it, then the
      // choices whose description does ("brand of sertraline").
      function rank(choice) {
        var at = choice.value.toLowerCase().indexOf(typed);
        return at === 0 ? 0 : at > 0 ? 1 : 2;
      }
      matches.sort(function (a, b) {
        return rank(a) - rank(b);
      });
      matches = matches.slice(0, MOST_SHOWN);
      list.textContent = "";
      shown = matches.map(function (choice, position) {
        var item = document.createElement("li");
        item.id = list.id + "-" + position;
        item.className = "combobox-option";
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.value = choice.value;
        item.textContent = choice.value;
        if (choice.hint && choice.hint !== choice.value) {
          var hint = document.createElement("span");
          hint.className = "text-muted small ms-2";
          hint.textContent = choice.hint;
          item.appendChild(hint);
        }
        list.appendChild(item);
        return item;
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!shown.length) {
        close();
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(
        shown.length +
          (shown.length === 1 ? " suggestion" : " suggestions") +
          ": use the up and down arrows, then Enter to choose."
      );
    }

    function choose(index) {
      input.value = shown[index].dataset.value;
      close();
      announce(input.value + " chosen.");
      // The live adequacy panel and the kind-dependent fields listen for these.
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", function (event) {
      if (event.isTrusted) {
        open(false);
      }
    });
    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!expanded) {
          open(event.altKey || !input.value.trim());
          if (list.hidden) {
            return;
          }
        }
        var step = event.key === "ArrowDown" ? 1 : -1;
        var next = active + step;
        if (next >= shown.length) {
          next = 0;
        } else if (next < 0) {
          next = shown.length - 1;
        }
        setActive(next);
      } else if (event.key === "Enter" && expanded && active >= 0) {
        // Enter picks the suggestion; it does not send the form.
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape" && expanded) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", close);
    // A pointer pick: mousedown keeps the focus in the field, so the blur does not close first.
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var item = event.target.closest("[role='option']");
      if (item) {
        choose(shown.indexOf(item));
      }
    });
  }

  document.querySelectorAll("input[list]").forEach(enhance);
})();
