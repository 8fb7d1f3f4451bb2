/* The installable app on every page: the one service worker (push and offline), the install button
 * where the browser offers one, and the reports written offline: sent when the connection returns,
 * their codes shown when they land. Pages work the same without it. */
(function () {
  "use strict";

  var script = document.currentScript;
  var d = script ? script.dataset : {};
  // The words come translated in the script tag's data-text-* attributes (data-text-landed: text.landed).
  var text = {};
  Object.keys(d).forEach(function (key) {
    if (key.indexOf("text") === 0 && key.length > 4) text[key.charAt(4).toLowerCase() + key.slice(5)] = d[key];
  });

  var say = window.GeoDom.say;
  var el = window.GeoDom.el;

  // --- The service worker ------------------------------------------------------------------------------
  var registration = null;
  if ("serviceWorker" in navigator && d.workerUrl) {
    navigator.serviceWorker.register(d.workerUrl, { scope: "/" }).then(function (reg) {
      registration = reg;
    }).catch(function () { /* the site works without it */ });
  }

  // Signing out on a shared phone: the pages kept while signed in go, and so do the person's drafts (else
  // the next person would see them). Unsent ones are named first, so the person may stay and send them.
  var signingOut = false;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !d.logoutUrl || form.getAttribute("action") !== d.logoutUrl || signingOut) return;
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    if (worker) worker.postMessage({ type: "forget-pages" });
    var G = window.GeoDrafts;
    if (!G || !G.supported() || !G.author || G.author === "anonymous") return;
    event.preventDefault();
    G.mine().then(function (drafts) {
      var unsent = drafts.filter(function (draft) { return draft.status !== "sent"; }).length;
      if (unsent && !window.confirm(say(text.signOutDrafts, { count: unsent }))) return false;
      signingOut = true;  // nothing more is sent under this session
      return G.forget(G.author).then(function () { return true; });
    }).catch(function () { signingOut = true; return true; }).then(function (go) {
      if (go) HTMLFormElement.prototype.submit.call(form);
    });
  }, true);

  // --- Install button, only where the browser offers installing ---------------------------------------
  var installButton = document.getElementById("install-app");
  var offered = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    offered = event;
    if (installButton) installButton.hidden = false;
  });
  window.addEventListener("appinstalled", function () {
    offered = null;
    if (installButton) installButton.hidden = true;
  });
  if (installButton) {
    installButton.addEventListener("click", function () {
      if (!offered) return;
      var prompt = offered;
      offered = null;
      installButton.hidden = true;
      prompt.prompt();
    });
  }

  // --- Reports written offline ------------------------------------------------------------------------
  var G = window.GeoDrafts;
  if (!G || !G.supported()) return;

  var notices = null;
  function notice(message, link) {
    if (!notices) {
      notices = el("div", { id: "app-notices", className: "app-notices", role: "status", "aria-live": "polite" });
      var main = document.getElementById("main") || document.body;
      main.insertBefore(notices, main.firstChild);
    }
    notices.appendChild(el("p", { className: "success-box app-notice" }, [
      document.createTextNode(message + " "),
      link ? el("a", { href: link.url, text: link.text }) : null
    ]));
  }

  var list = document.getElementById("draft-list");
  var section = document.getElementById("drafts");
  function render() {
    if (!list || !section) return Promise.resolve();
    return G.mine().then(function (drafts) {
      list.innerHTML = "";
      drafts.forEach(function (draft) {
        var title = draft.title || text.untitled;
        var when = new Date(draft.savedAt).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "vi-VN");
        var state;
        if (draft.status === "sent") {
          state = el("span", {}, [
            document.createTextNode(say(text.sentCode, { code: draft.code }) + " "),
            el("a", { href: draft.reportUrl, text: text.open })
          ]);
        } else if (draft.status === "refused") {
          state = el("span", { className: "field-error" }, [
            document.createTextNode(say(text.refused, { reason: draft.reason || "" }) + " "),
            el("a", { href: d.formUrl + "?nhap=" + draft.id, text: text.fix })
          ]);
        } else {
          state = el("span", { text: text.waiting });
        }
        var remove = el("button", { type: "button", className: "button-link", text: draft.status === "sent" ? text.hide : text.remove });
        remove.addEventListener("click", function () {
          if (draft.status !== "sent" && !window.confirm(text.confirmRemove)) return;
          G.remove(draft.id).then(render);
        });
        list.appendChild(el("li", { className: "draft-item", "data-status": draft.status }, [
          el("strong", { text: title }), document.createTextNode(" · " + when + " · "), state, document.createTextNode(" "), remove
        ]));
      });
      section.hidden = drafts.length === 0;
    });
  }

  var announced = {};
  function landed(results) {
    results.forEach(function (result) {
      if (result.status === "sent" && !announced[result.id]) {
        announced[result.id] = true;
        notice(say(text.landed, { code: result.code }), { url: result.reportUrl, text: text.open });
      }
    });
    return render();
  }

  function sendNow() {
    if (navigator.onLine === false || signingOut) return render();
    return G.sendAll().then(landed).then(showSentElsewhere).catch(function () { return render(); });
  }

  // The worker's Background Sync may have sent some while no page was open: show those too, once.
  function showSentElsewhere() {
    return G.unseen().then(function (drafts) {
      drafts.forEach(function (draft) {
        if (announced[draft.id]) return;
        announced[draft.id] = true;
        notice(say(text.landed, { code: draft.code }), { url: draft.reportUrl, text: text.open });
      });
      return G.markSeen(drafts.map(function (draft) { return draft.id; }));
    });
  }

  window.addEventListener("online", sendNow);
  // The worker sent some (Background Sync): show their codes here.
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "drafts-sent") showSentElsewhere().then(render);
    });
  }
  document.addEventListener("drafts:changed", function () {
    render();
    if (registration && registration.sync) {
      registration.sync.register("send-drafts").catch(function () { return null; });
    }
    sendNow();
  });
  showSentElsewhere().catch(function () { return null; }).then(sendNow);
  window.GeoApp = { notice: notice, renderDrafts: render, sendDrafts: sendNow };
})();
