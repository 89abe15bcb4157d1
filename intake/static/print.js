/* The "Print your answers" button (templates/tracker/answers.html): shown only when JavaScript
   runs, instead of the advice to use the browser's own Print command. A file of the app's own,
   as the Content Security Policy allows no inline script or handler. */
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  var advice = document.getElementById("print-advice");
  if (!button || typeof window.print !== "function") {
    return;
  }
  button.addEventListener("click", function () { window.print(); });
  button.hidden = false;
  if (advice) {
    advice.hidden = true;
  }
});
