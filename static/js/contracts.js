/*
 * Contract form: show only the chosen contract type's terms, without a reload.
 *
 * The page works without this script: the type picker is a GET form that reloads the page with
 * the chosen type, and the server renders the other types' sections hidden and disabled. Here
 * the picker switches sections in place, offers only the chosen type's products, shows the part
 * of the schedule that the chosen mode uses, and adds instalment rows.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-contract-form]");
  if (!form) {
    return;
  }
  var picker = document.querySelector("[data-type-picker] select");
  var typeField = form.querySelector("[data-type-field]");
  var product = form.querySelector("select[name='product']");

  document.querySelectorAll("[data-no-script]").forEach(function (element) {
    element.hidden = true;
  });

  function showType(type) {
    form.querySelectorAll(".contract-terms").forEach(function (section) {
      var active = section.getAttribute("data-contract-type") === type;
      section.hidden = !active;
      section.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !active;
      });
    });
    if (product) {
      Array.prototype.forEach.call(product.options, function (option) {
        var optionType = option.getAttribute("data-contract-type");
        var allowed = !optionType || optionType === type;
        option.hidden = !allowed;
        option.disabled = !allowed;
        if (!allowed && option.selected) {
          product.value = "";
        }
      });
    }
  }

  if (picker && typeField) {
    picker.addEventListener("change", function () {
      typeField.value = picker.value;
      showType(picker.value);
      if (window.history && window.history.replaceState) {
        var url = new URL(window.location.href);
        url.searchParams.set("type", picker.value);
        window.history.replaceState(null, "", url.toString());
      }
    });
    if (!typeField.value) {
      typeField.value = picker.value;
    }
    showType(typeField.value);
  } else if (typeField) {
    showType(typeField.value);
  }

  // After a refused save, take keyboard users to the first field in error.
  var invalid = form.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  }

  // Schedule: show the fields of the chosen mode only.
  var schedule = form.querySelector("[data-schedule]");
  if (schedule) {
    var modes = schedule.querySelectorAll("input[name$='mode']");
    var showMode = function () {
      var checked = schedule.querySelector("input[name$='mode']:checked");
      var mode = checked ? checked.value : "";
      schedule.querySelectorAll("[data-schedule-part]").forEach(function (part) {
        part.hidden = part.getAttribute("data-schedule-part") !== mode;
      });
    };
    modes.forEach(function (radio) {
      radio.addEventListener("change", showMode);
    });
    showMode();

    var addButton = schedule.querySelector("[data-add-instalment]");
    var template = schedule.querySelector("[data-instalment-template]");
    var rows = schedule.querySelector("[data-instalment-rows]");
    var total = schedule.querySelector("input[name$='TOTAL_FORMS']");
    if (addButton && template && rows && total) {
      addButton.hidden = false;
      addButton.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        var html = template.innerHTML
          .replace(/__prefix__/g, String(index))
          .replace(/__number__/g, String(index + 1));
        rows.insertAdjacentHTML("beforeend", html);
        total.value = String(index + 1);
        var first = rows.lastElementChild.querySelector("input");
        if (first) {
          first.focus();
        }
      });
    }
  }
})();
