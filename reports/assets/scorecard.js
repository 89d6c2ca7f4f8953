/* Scorecard interactions: the finding under the pointer (or keyboard focus) as a tooltip, and a flash on
   the spot a findings-list link jumps to. Text is copied with textContent only, never parsed as HTML. */
(function () {
  "use strict";
  var tip = document.getElementById("tip");

  function findingsOf(el) {
    return (el.getAttribute("data-f") || "").split(" ").filter(Boolean);
  }

  function addLine(parent, cls, text) {
    if (!text) { return; }
    var line = document.createElement("div");
    line.className = cls;
    line.textContent = text;
    parent.appendChild(line);
  }

  function show(el) {
    var numbers = findingsOf(el);
    if (!numbers.length) { return; }
    tip.textContent = "";
    numbers.forEach(function (n) {
      var item = document.getElementById("finding-" + n);
      if (!item) { return; }
      var box = document.createElement("div");
      box.className = "tip-item";
      var sev = item.querySelector(".sev");
      var cat = item.querySelector(".f-cat");
      addLine(box, "tip-cat", n + ". " + (sev ? sev.textContent + " · " : "") + (cat ? cat.textContent : ""));
      var msg = item.querySelector(".f-message");
      addLine(box, "tip-msg", msg ? msg.textContent : "");
      var sug = item.querySelector(".f-suggest");
      if (sug) { addLine(box, "tip-suggest", "建议：" + sug.lastChild.textContent); }
      tip.appendChild(box);
      item.classList.add("active");
    });
    tip.hidden = false;
    var r = el.getBoundingClientRect();
    var left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - tip.offsetWidth - 8));
    var top = window.scrollY + r.bottom + 6;
    if (r.bottom + tip.offsetHeight + 12 > window.innerHeight && r.top > tip.offsetHeight + 12) {
      top = window.scrollY + r.top - tip.offsetHeight - 6;
    }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function hide() {
    tip.hidden = true;
    document.querySelectorAll(".finding.active").forEach(function (item) { item.classList.remove("active"); });
  }

  document.querySelectorAll("mark.hl, .msg.flagged").forEach(function (el) {
    el.addEventListener("mouseenter", function () { show(el); });
    el.addEventListener("mouseleave", hide);
    el.addEventListener("focus", function () { show(el); });
    el.addEventListener("blur", hide);
  });

  function flash(target) {
    var n = target.replace(/^hl-/, "");
    var els = /^hl-/.test(target)
      ? document.querySelectorAll('mark.hl[data-f~="' + n.replace(/[^0-9]/g, "") + '"]')
      : [document.querySelector("#" + target.replace(/[^a-z0-9-]/gi, "") + " .bubble")];
    els.forEach(function (el) {
      if (!el) { return; }
      el.classList.remove("flash");
      void el.offsetWidth; // restart the animation
      el.classList.add("flash");
    });
  }

  document.querySelectorAll("a.f-goto").forEach(function (a) {
    a.addEventListener("click", function () { flash(a.getAttribute("data-target") || ""); });
  });
  if (location.hash) { flash(location.hash.slice(1)); }
})();
