/* "Nhận cảnh báo trên trình duyệt": subscribe this browser to warnings by Web Push (VAPID). The browser has
 * one push subscription, which may also carry the updates of reports it follows (js/follow-push.js): this
 * page shows and changes only its warnings, and the browser unsubscribes only when the server dropped it. */
(function () {
  "use strict";
  var box = document.getElementById("push-box");
  if (!box) return;
  var text = JSON.parse(document.getElementById("alert-text").textContent);
  var button = document.getElementById("push-toggle");
  var status = document.getElementById("push-status");
  var d = box.dataset;
  box.hidden = false;

  function tell(message) { status.textContent = message || ""; }
  var csrf = window.GeoDom.csrf;
  var keyBytes = window.GeoDom.keyBytes;
  function send(method, body, url) {
    return fetch(url || d.subscribeUrl, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) {
      if (r.ok) return r;
      // The server's own words (e.g. too many browsers from this address) say more than "failed".
      return r.json().catch(function () { return {}; }).then(function (body) {
        var error = new Error(String(r.status));
        error.detail = body.detail;
        throw error;
      });
    });
  }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) {
    button.disabled = true;
    tell(text.pushUnsupported);
    return;
  }
  var registration = null;
  var warned = false;
  function show(subscribed) {
    warned = subscribed;
    button.textContent = subscribed ? text.pushStop : text.pushStart;
    button.setAttribute("aria-pressed", subscribed ? "true" : "false");
  }
  navigator.serviceWorker.register(d.workerUrl, { scope: "/" }).then(function (reg) {
    registration = reg;
    return reg.pushManager.getSubscription();
  }).then(function (sub) {
    if (!sub) return show(false);
    return send("POST", { endpoint: sub.endpoint }, d.stateUrl).then(function (r) { return r.json(); })
      .then(function (state) { show(!!state.warnings); });
  }).catch(function () { show(false); });

  button.addEventListener("click", function () {
    if (!registration) { tell(text.pushFailed); return; }
    registration.pushManager.getSubscription().then(function (sub) {
      if (sub && warned) {
        // 200: the subscription still carries followed reports' updates; only its warnings stopped.
        return send("DELETE", { endpoint: sub.endpoint }).then(function (r) { return r.status === 204 ? sub.unsubscribe() : null; })
          .then(function () { show(false); tell(text.pushOff); });
      }
      // Already subscribed (following a report): the same subscription asks for warnings too.
      if (sub) return send("POST", sub.toJSON()).then(function () { show(true); tell(text.pushOn); });
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") { tell(text.pushDenied); return null; }
        return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(d.vapidKey) })
          .then(function (newSub) {
            // Refused by the server: do not leave the browser subscribed to nothing.
            return send("POST", newSub.toJSON()).catch(function (error) {
              return newSub.unsubscribe().then(function () { throw error; });
            });
          })
          .then(function () { show(true); tell(text.pushOn); });
      });
    }).catch(function (error) { tell((error && error.detail) || text.pushFailed); });
  });
})();
