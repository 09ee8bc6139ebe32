/*
 * mfme quarterly return: totals computed as the user types, numbers in the user's locale, and
 * autosaved drafts. No framework; the server stays the truth (it validates and saves).
 *
 * Markup contract (templates/institutions/return/):
 *   [data-return-form]  data-decimal, data-group: the locale's separators;
 *                       data-autosave-url (editable pages only), data-msg-*: translated texts.
 *   [data-name]         a figure: an <input>, a read-only <dd>, or an <output data-terms>
 *                       whose value is the signed sum of the named figures ("+a +b -c").
 *   [data-balance]      wraps the balance difference: shows "balanced" or "does not balance".
 */
(function () {
  "use strict";

  var SPACES = /[\s\u00a0\u202f\u2009\u066c]/g;
  var EASTERN = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹";

  /* The number written in `text`, in cents (an integer, so sums are exact), or null when blank;
   * NaN when it is not a number. Mirrors institutions/forms_return.py: parse_locale_number. */
  function parseCents(text, decimalSeparator) {
    var value = String(text == null ? "" : text).trim();
    value = value.replace(/[٠-٩۰-۹]/g, function (digit) {
      return String(EASTERN.indexOf(digit) % 10);
    });
    if (!value || value === "—") return null;
    value = value.replace("\u066b", decimalSeparator).replace("\u2212", "-");
    var negative = value.charAt(0) === "-";
    if (negative || value.charAt(0) === "+") value = value.slice(1).trim();
    value = value.replace(SPACES, " ");
    var integer, decimals, parts;
    if (decimalSeparator === ",") {
      if (value.indexOf(",") >= 0) value = value.replace(/\./g, " ");
      else if ((value.match(/\./g) || []).length === 1) value = value.replace(".", ",");
      else value = value.replace(/\./g, " ");
      parts = value.split(",");
    } else {
      parts = value.split(".");
      if (parts.length === 2 || parts.length === 1) {
        if (parts[0].indexOf(",") >= 0) {
          if (!/^\d{1,3}(,\d{3})+$/.test(parts[0].replace(/ /g, ""))) return NaN;
          parts[0] = parts[0].replace(/,/g, " ");
        }
      }
    }
    if (parts.length > 2) return NaN;
    integer = parts[0];
    decimals = parts.length === 2 ? parts[1] : "";
    if (integer.indexOf(" ") >= 0) {
      var groups = integer.split(" ");
      if (groups[0].length < 1 || groups[0].length > 3) return NaN;
      for (var i = 1; i < groups.length; i++) if (groups[i].length !== 3) return NaN;
      integer = groups.join("");
    }
    if (!/^\d*$/.test(integer) || !/^\d*$/.test(decimals)) return NaN;
    if (!integer && !decimals) return NaN;
    if (decimals.length > 2) return NaN;
    var cents = Number(integer || "0") * 100 + Number((decimals + "00").slice(0, 2));
    return negative ? -cents : cents;
  }

  /* Cents as the locale writes them, with `places` decimals (0 or 2). */
  function formatCents(cents, places, decimalSeparator, groupSeparator) {
    var negative = cents < 0;
    var absolute = Math.abs(cents);
    var whole = String(Math.floor(absolute / 100));
    var grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, groupSeparator);
    var text = grouped;
    if (places > 0) {
      var rest = String(absolute % 100);
      text += decimalSeparator + (rest.length < 2 ? "0" + rest : rest);
    }
    return (negative ? "-" : "") + text;
  }

  function setUp(root) {
    var decimalSeparator = root.getAttribute("data-decimal") || ".";
    var groupSeparator = root.getAttribute("data-group") || ",";
    var figures = {};
    root.querySelectorAll("[data-name]").forEach(function (element) {
      figures[element.getAttribute("data-name")] = element;
    });
    var outputs = Array.prototype.slice.call(root.querySelectorAll("output[data-terms]"));

    function valueOf(name, computed) {
      if (Object.prototype.hasOwnProperty.call(computed, name)) return computed[name];
      var element = figures[name];
      if (!element) return 0;
      var text = element.tagName === "INPUT" ? element.value : element.textContent;
      var cents = parseCents(text, decimalSeparator);
      return cents === null ? 0 : cents;
    }

    function recompute() {
      var computed = {};
      outputs.forEach(function (output) {
        var total = 0;
        output.getAttribute("data-terms").split(/\s+/).forEach(function (term) {
          if (!term) return;
          var sign = term.charAt(0) === "-" ? -1 : 1;
          total += sign * valueOf(term.slice(1), computed);
        });
        var name = output.getAttribute("data-name");
        computed[name] = total;
        var places = Number(output.getAttribute("data-places") || "2");
        output.value = isNaN(total) ? "" : formatCents(total, places, decimalSeparator, groupSeparator);
        var balance = output.closest("[data-balance]");
        if (balance) {
          var balanced = !isNaN(total) && Math.abs(total) <= 100;
          balance.classList.toggle("is-unbalanced", !balanced);
          balance.querySelector("[data-balance-ok]").hidden = !balanced;
          balance.querySelector("[data-balance-bad]").hidden = balanced;
        }
      });
    }

    var status = root.querySelector(".autosave-status");
    var url = root.getAttribute("data-autosave-url");
    var timer = null;
    var dirty = false;
    var pending = null;

    function autosave() {
      if (!url || !dirty) return;
      window.clearTimeout(timer);
      dirty = false;
      var body = new FormData(root);
      var token = body.get("csrfmiddlewaretoken");
      if (status) status.textContent = root.getAttribute("data-msg-saving");
      pending = window
        .fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-CSRFToken": token, Accept: "application/json" },
        })
        .then(function (response) {
          return response.json().then(function (payload) {
            if (!status) return;
            if (response.ok) status.textContent = payload.message;
            else
              status.textContent =
                (payload.errors && payload.errors[0] && payload.errors[0].message) ||
                root.getAttribute("data-msg-failed");
            status.classList.toggle("autosave-status--error", !response.ok);
          });
        })
        .catch(function () {
          dirty = true;
          if (status) {
            status.textContent = root.getAttribute("data-msg-failed");
            status.classList.add("autosave-status--error");
          }
        })
        .then(function () {
          pending = null;
        });
    }

    function check(input) {
      var live = document.getElementById(input.id + "-live");
      var cents = parseCents(input.value, decimalSeparator);
      var places = Number(input.getAttribute("data-places") || "2");
      var wrong = typeof cents === "number" && isNaN(cents);
      if (!wrong && cents !== null && places === 0 && cents % 100 !== 0) wrong = true;
      if (live) {
        live.hidden = !wrong;
        live.textContent = wrong ? root.getAttribute("data-msg-invalid") : "";
      }
      if (wrong) input.setAttribute("aria-invalid", "true");
      else if (!input.closest(".return-field--error")) input.removeAttribute("aria-invalid");
      return wrong ? null : cents;
    }

    root.querySelectorAll("input[data-name]").forEach(function (input) {
      input.addEventListener("input", function () {
        recompute();
        dirty = true;
        window.clearTimeout(timer);
        timer = window.setTimeout(autosave, 1000);
      });
      input.addEventListener("blur", function () {
        var cents = check(input);
        // Rewrite what was typed the locale's way ("1234567,8" becomes "1 234 567,80").
        if (cents !== null && input.value.trim()) {
          var places = Number(input.getAttribute("data-places") || "2");
          var formatted = formatCents(cents, places, decimalSeparator, groupSeparator);
          if (formatted !== input.value) input.value = formatted;
        }
        recompute();
        autosave();
      });
    });

    if (root.tagName === "FORM") {
      root.addEventListener("submit", function (event) {
        // The page saves for real: no draft request may race it. Leaving the last field (the
        // click on "Save") may just have sent one: let it finish, then submit.
        window.clearTimeout(timer);
        dirty = false;
        if (pending) {
          event.preventDefault();
          var submitter = event.submitter;
          pending.then(function () {
            if (root.requestSubmit) root.requestSubmit(submitter || undefined);
            else root.submit();
          });
        }
      });
    }
    recompute();
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  }

  window.mfmeReturn = { parseCents: parseCents, formatCents: formatCents };
  document.querySelectorAll("[data-return-form]").forEach(setUp);
})();
