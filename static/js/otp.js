/* The one-time code pages: count down the wait the server gave (data-wait) and enable "Gửi lại mã"
 * when it ends. Without this script the server renders the button disabled until the page is reloaded
 * after the wait, and refuses early resends anyway. */
(function () {
  "use strict";
  var form = document.getElementById("resend-form");
  if (!form) return;
  var button = document.getElementById("resend-button");
  var line = document.getElementById("otp-countdown");
  var seconds = line ? line.querySelector(".otp-seconds") : null;
  var wait = parseInt(form.getAttribute("data-wait"), 10) || 0;
  var deadline = Date.now() + wait * 1000;

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    if (seconds) seconds.textContent = String(left);
    if (left <= 0) {
      button.disabled = false;
      button.removeAttribute("aria-describedby");
      if (line) line.hidden = true;
      return;
    }
    setTimeout(tick, 250);
  }
  if (wait > 0) tick();

  var code = document.querySelector("input.otp-code");
  if (code) {
    // Keep only digits, whatever the keyboard or a pasted message adds.
    code.addEventListener("input", function () {
      var digits = code.value.replace(/\D/g, "").slice(0, 6);
      if (digits !== code.value) code.value = digits;
    });
  }
})();
