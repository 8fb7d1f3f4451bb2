/* The site's one service worker, at the root scope: warnings by Web Push, the app's shell and the
 * last-seen public pages offline, and reports written offline sent when the connection returns.
 * The server puts self.SW_CONFIG before this file (notifications/views.py): the version, the shell's
 * URLs (hashed static names in production), the offline page and which pages may be kept. */
/* global SW_CONFIG, GeoDrafts */
"use strict";

var config = self.SW_CONFIG;
var SHELL_CACHE = "shell-" + config.version;
var PAGE_CACHE = "pages-" + config.version;
var PAGE_LIMIT = 30;
var pagePatterns = config.pages.map(function (source) { return new RegExp(source); });

// Drafts: the same code as the pages' (static/js/drafts.js), for Background Sync.
try { importScripts(config.draftsScript); } catch (e) { /* push and the shell still work */ }

// --- Install: the shell; activate: old versions' caches go -------------------------------------------
self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    // Without these the offline page cannot be shown: installing fails and the old worker stays.
    return cache.addAll(config.shell).then(function () {
      // The form's maps and scripts: kept if they come, never a reason to fail.
      return Promise.all(config.extra.map(function (url) {
        return cache.add(url).catch(function () { return null; });
      }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name !== SHELL_CACHE && name !== PAGE_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// --- Fetch ------------------------------------------------------------------------------------------
function keepable(url) {
  // Pages with a reporter's link (?t=), the "just sent" box (?moi=) or any query stay out of the cache:
  // only the public pages as everyone sees them are kept.
  if (url.search) return false;
  return pagePatterns.some(function (pattern) { return pattern.test(url.pathname); });
}

function storable(response) {
  if (!response || response.status !== 200 || response.type !== "basic") return false;
  var control = (response.headers.get("Cache-Control") || "").toLowerCase();
  return control.indexOf("no-store") === -1 && control.indexOf("private") === -1;
}

function trim(cache) {
  return cache.keys().then(function (keys) {
    if (keys.length <= PAGE_LIMIT) return null;
    return cache.delete(keys[0]).then(function () { return trim(cache); });
  });
}

function page(request) {
  var url = new URL(request.url);
  return fetch(request).then(function (response) {
    if (keepable(url) && storable(response) && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) {
        // Delete then put: the newest page goes to the end, the oldest is trimmed first.
        return cache.delete(url.pathname).then(function () { return cache.put(url.pathname, copy); })
          .then(function () { return trim(cache); });
      });
    }
    return response;
  }).catch(function () {
    // The page as last seen (the pages' cache first: the shell's copy of the form is older).
    var path = url.pathname;
    return caches.open(PAGE_CACHE).then(function (cache) { return cache.match(path); }).then(function (kept) {
      return kept || caches.match(path);
    }).then(function (kept) {
      if (kept && keepable(url)) return kept;
      return caches.match(config.offline).then(function (offline) {
        return offline || new Response("Không có kết nối mạng.", {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
        });
      });
    });
  });
}

function asset(request) {
  return caches.match(request).then(function (kept) {
    if (kept) return kept;
    return fetch(request).then(function (response) {
      if (storable(response)) {
        var copy = response.clone();
        caches.open(SHELL_CACHE).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  // Sent forms, the API and everything from elsewhere go straight to the network, never to a cache.
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") { event.respondWith(page(request)); return; }
  if (url.pathname.indexOf(config.staticPrefix) === 0) { event.respondWith(asset(request)); return; }
  if (url.pathname === config.manifest) event.respondWith(asset(request));
});

// Signing out: the pages seen while signed in go with the session (the page removes the person's drafts).
self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "forget-pages") event.waitUntil(caches.delete(PAGE_CACHE));
});

// --- Background Sync: drafts written offline go when the connection returns ------------------------
self.addEventListener("sync", function (event) {
  if (event.tag !== "send-drafts" || !self.GeoDrafts) return;
  event.waitUntil(GeoDrafts.sendAll().then(function (landed) {
    // One still waiting (no connection after all, the server busy): failing the event has the browser
    // try again later; succeeding would end Background Sync for it until a page opens. One the server
    // held back (written by someone not signed in now) waits for its writer, not for a retry.
    var announce = landed.length ? self.clients.matchAll({ type: "window" }).then(function (windows) {
      windows.forEach(function (client) { client.postMessage({ type: "drafts-sent" }); });
    }) : Promise.resolve();
    return announce.then(function () { if (landed.waiting) throw new Error("drafts still waiting"); });
  }));
});

// --- Web Push: show the warning, open it when tapped -------------------------------------------------
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  var title = data.title || "Cảnh báo";
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || "", tag: data.tag || undefined, data: { url: data.url || "/canh-bao/" }, requireInteraction: true
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/canh-bao/";
  event.waitUntil(self.clients.openWindow(url));
});
