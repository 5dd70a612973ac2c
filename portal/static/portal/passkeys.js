/* Passkeys on the member pages (a static file: the CSP runs no inline script).
   - "Add a passkey" is offered only where the browser can make one; without JavaScript
     the page says that a passkey needs it ([data-no-js], hidden here: <noscript> is not
     shown by every browser whose scripts are off).
   - After django-otp-webauthn's script registered a passkey, go to the page that follows
     (the recovery codes when it was the first second factor). */
(function () {
  "use strict";

  function ready() {
    var able = typeof window.PublicKeyCredential === "function";
    document.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });
    document.querySelectorAll("[data-passkey-add]").forEach(function (el) { el.hidden = !able; });
    document.querySelectorAll("[data-passkey-nojs]").forEach(function (el) {
      if (able) el.hidden = true;
      else el.textContent = "This browser cannot make passkeys: use an authenticator app instead.";
    });
  }

  document.addEventListener("otp_webauthn.register_complete", function () {
    var done = document.getElementById("passkeys");
    if (done) window.location.assign(done.dataset.doneUrl);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
