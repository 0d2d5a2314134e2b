// Progressive enhancement only: every form works without this script.
// Under each text field with a maximum length, show how many characters are left.
(function () {
  "use strict";
  var script = document.currentScript;
  var one = script.dataset.leftOne;
  var many = script.dataset.leftMany;

  function counterFor(field) {
    var counter = document.createElement("p");
    counter.className = "fr-hint-text fr-mt-1v";
    counter.id = field.id + "-compteur";
    field.insertAdjacentElement("afterend", counter);
    var max = parseInt(field.getAttribute("maxlength"), 10);
    var update = function () {
      var left = max - field.value.length;
      counter.textContent = left === 1 ? one : many.replace("%n", String(left));
    };
    field.addEventListener("input", update);
    update();
  }

  document.querySelectorAll("textarea[maxlength][id]").forEach(counterFor);
})();
