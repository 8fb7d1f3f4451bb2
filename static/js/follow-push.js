/* "Nhận thông báo trên trình duyệt này" on a public report: when pressed, this browser subscribes by Web
 * Push (the site's one service worker) and follows this report only; nothing happens unless pressed. */
(function () {
  "use strict";
  var box = document.getElementById("follow-push");
  if (!box) return;
  var d = box.dataset;
  var button = document.getElementById("follow-push-button");
  var status = document.getElementById("follow-push-status");
  function tell(message) { status.textContent = message || ""; }
  box.hidden = false;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) {
    button.disabled = true;
    tell(d.textUnsupported);
    return;
  }

  function post(subscription) {
    return fetch(d.url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": GeoDom.csrf() },
      body: JSON.stringify(subscription.toJSON())
    }).then(function (r) {
      if (r.ok) return r.json();
      // The server's own words (too many browsers from this address, a refused endpoint) say more.
      return r.json().catch(function () { return {}; }).then(function (body) {
        var error = new Error(String(r.status));
        error.detail = body.detail;
        throw error;
      });
    });
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { tell(d.textDenied); return null; }
      return Promise.all([
        navigator.serviceWorker.ready,
        fetch(d.keyUrl, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); })
      ]).then(function (both) {
        var registration = both[0];
        return registration.pushManager.getSubscription().then(function (known) {
          return known || registration.pushManager.subscribe({
            userVisibleOnly: true, applicationServerKey: GeoDom.keyBytes(both[1].public_key)
          });
        });
      }).then(post).then(function () {
        button.setAttribute("aria-pressed", "true");
        tell(d.textOn);
      });
    }).catch(function (error) {
      tell((error && error.detail) || d.textFailed);
    }).then(function () {
      button.disabled = button.getAttribute("aria-pressed") === "true";
    });
  });
})();
