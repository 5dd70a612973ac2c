// After django-otp-webauthn's script registered a passkey, show the page that follows
// (the recovery codes when it was the first factor). A static file: the CSP runs no inline script.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.assign(document.getElementById("passkeys").dataset.doneUrl);
});
