/* Reports written without a connection, kept on the phone (IndexedDB) and sent when it returns.
 * Loaded by the pages and by the service worker (Background Sync), so both send the same way.
 *
 * Exactly once: the draft's idempotency key is made here when it is saved and goes with every attempt
 * as the Idempotency-Key header; the server answers a repeated key with the report the first attempt
 * created, so an answer lost on the way back costs nothing. A draft's text and photos are deleted only
 * once the server's answer names the report's code; what stays is the code, to show the person.
 *
 * A shared phone: each draft names who wrote it (the account id the page carries in this script tag's
 * data-author, or "anonymous") and is only ever sent, listed or opened under that same identity. The
 * page checks; every sending also names the writer (X-Draft-Author) and the server refuses one made under
 * another identity (incidents/views.py report_new), which is the worker's check (it knows no session). */
(function (root) {
  "use strict";

  var DB_NAME = "geo-drafts";
  var STORE = "drafts";
  var CODE_PATH = /\/phan-anh\/(\d{12})\/$/;
  var inPage = typeof root.document !== "undefined";
  var ANONYMOUS = "anonymous";
  var script = inPage ? root.document.currentScript : null;
  // Who this page is for; null in the service worker.
  var here = inPage ? (script && script.dataset.author) || ANONYMOUS : null;

  function authorOf(draft) { return draft.author || ANONYMOUS; }
  function mineHere(draft) { return here === null || authorOf(draft) === here; }

  function supported() {
    return !!(root.indexedDB && root.fetch && root.FormData && root.Promise && root.crypto && root.crypto.getRandomValues);
  }

  var opening = null;
  function db() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = root.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  function run(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var transaction = database.transaction(STORE, mode);
        var result;
        transaction.oncomplete = function () { resolve(result); };
        transaction.onerror = function () { reject(transaction.error); };
        transaction.onabort = function () { reject(transaction.error); };
        work(transaction.objectStore(STORE), function (value) { result = value; });
      });
    });
  }

  function newKey() {
    if (root.crypto.randomUUID) return "draft-" + root.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return "draft-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* A draft from a form: its fields (files apart), its files as Blobs, where to send it. options: key
   * (the key the sending already used, if it was tried), data (the FormData to keep, else the form's),
   * title (for the list). */
  function save(form, options) {
    options = options || {};
    var fields = [];
    var files = [];
    var data = options.data || new FormData(form);
    data.forEach(function (value, name) {
      if (typeof value === "string") {
        if (name !== "csrfmiddlewaretoken") fields.push([name, value]);
      } else if (value && value.size) {
        files.push({ field: name, name: value.name, type: value.type, blob: value });
      }
    });
    var draft = {
      key: options.key || newKey(),
      author: here || ANONYMOUS,
      url: form.getAttribute("action") || root.location.pathname,
      csrf: form.elements.csrfmiddlewaretoken ? form.elements.csrfmiddlewaretoken.value : "",
      title: options.title || "",
      fields: fields,
      files: files,
      savedAt: Date.now(),
      status: "waiting"
    };
    return run("readwrite", function (store, done) {
      store.add(draft).onsuccess = function (event) { draft.id = event.target.result; done(draft); };
    });
  }

  function list() {
    return run("readonly", function (store, done) {
      store.getAll().onsuccess = function (event) { done(event.target.result || []); };
    });
  }

  /* The drafts of whoever this page is for (all of them in the worker). */
  function mine() {
    return list().then(function (drafts) { return drafts.filter(mineHere); });
  }

  /* Signing out: every draft this person wrote goes from the phone, sent or not. */
  function forget(author) {
    return run("readwrite", function (store, done) {
      store.getAll().onsuccess = function (event) {
        (event.target.result || []).forEach(function (draft) {
          if (authorOf(draft) === author) store["delete"](draft.id);
        });
        done();
      };
    });
  }

  function get(id) {
    return run("readonly", function (store, done) {
      store.get(id).onsuccess = function (event) { done(event.target.result || null); };
    });
  }

  function put(draft) {
    return run("readwrite", function (store, done) { store.put(draft).onsuccess = function () { done(draft); }; });
  }

  function remove(id) {
    return run("readwrite", function (store, done) { store["delete"](id).onsuccess = function () { done(); }; });
  }

  function csrfToken(draft) {
    if (inPage) {
      var match = root.document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (match) return decodeURIComponent(match[1]);
    }
    return draft.csrf;
  }

  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

  function plainText(markup) {
    return markup.replace(/<[^>]*>/g, "").replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, function (whole, name) {
      if (name.charAt(0) !== "#") return ENTITIES[name.toLowerCase()] || whole;
      return String.fromCodePoint(name.charAt(1).toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10));
    }).replace(/\s+/g, " ").trim();
  }

  /* The server's reasons, from the error summary of the form page it answered with, as one line. Read
   * from the markup (templates/incidents/report_form.html), not with DOMParser: the service worker
   * (Background Sync) has none, and a draft refused there must keep its reasons too. */
  function refusalReason(html) {
    var summary = /id="error-summary"[\s\S]*?<ul[^>]*>([\s\S]*?)<\/ul>/.exec(html);
    if (!summary) return "";
    return summary[1].split(/<\/li>/).map(plainText).filter(Boolean).join("; ");
  }

  /* One attempt. Resolves to the draft as it now stands: sent (with its code), refused (the server's
   * reasons kept, the draft too, for the person to fix), or still waiting (no network, a limit, the server). */
  function send(draft) {
    var body = new FormData();
    draft.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    draft.files.forEach(function (file) { body.append(file.field, file.blob, file.name); });
    return root.fetch(draft.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "Idempotency-Key": draft.key,
        "X-Draft-Author": authorOf(draft),
        "X-CSRFToken": csrfToken(draft),
        "X-Requested-With": "fetch",
        Accept: "text/html"
      }
    }).then(function (response) {
      var landed = new URL(response.url);
      var match = response.ok && response.redirected && CODE_PATH.exec(landed.pathname);
      if (match) {
        // Landed: the text and photos go, the code stays to be shown.
        draft.status = "sent";
        draft.code = match[1];
        draft.reportUrl = landed.pathname + landed.search;
        draft.sentAt = Date.now();
        draft.seen = inPage;
        draft.fields = [];
        draft.files = [];
        draft.csrf = "";
        return put(draft);
      }
      if (response.status === 400) {
        return response.text().then(function (html) {
          draft.status = "refused";
          draft.reason = refusalReason(html);
          return put(draft);
        });
      }
      // 403: signed in as someone else now; kept for its writer, never sent under this identity.
      draft.held = response.status === 403;
      return draft;
    }, function () { return draft; });
  }

  function withLock(work) {
    // One sender at a time across tabs and the worker; the key makes a second sending harmless anyway.
    if (root.navigator && root.navigator.locks) return root.navigator.locks.request("geo-drafts-send", work);
    return work();
  }

  /* Send every waiting draft (of this page's person), one after another; resolves to those that landed
   * now, with `waiting`: how many are still waiting to be sent under this identity. */
  function sendAll() {
    return withLock(function () {
      return mine().then(function (drafts) {
        var landed = [];
        landed.waiting = 0;
        return drafts.filter(function (draft) { return draft.status === "waiting"; }).reduce(function (chain, draft) {
          return chain.then(function () {
            return get(draft.id).then(function (fresh) {
              if (!fresh || fresh.status !== "waiting") return null;
              return send(fresh).then(function (after) {
                if (after.status === "sent") landed.push(after);
                else if (after.status === "waiting" && !after.held) landed.waiting += 1;
              });
            });
          });
        }, Promise.resolve()).then(function () { return landed; });
      });
    });
  }

  function unseen() {
    return mine().then(function (drafts) {
      return drafts.filter(function (draft) { return draft.status === "sent" && !draft.seen; });
    });
  }

  function markSeen(ids) {
    return Promise.all(ids.map(function (id) {
      return get(id).then(function (draft) { if (draft) { draft.seen = true; return put(draft); } return null; });
    }));
  }

  /* A refused draft goes back to waiting once the person fixed it in the form (same key: still once). */
  function replace(id, form, options) {
    return get(id).then(function (old) {
      var same = Object.assign({}, options, { key: old ? old.key : options && options.key });
      return save(form, same).then(function (fresh) {
        return (old ? remove(id) : Promise.resolve()).then(function () { return fresh; });
      });
    });
  }

  root.GeoDrafts = {
    supported: supported, newKey: newKey, save: save, list: list, mine: mine, mineHere: mineHere, forget: forget,
    author: here, get: get, remove: remove, send: send, sendAll: sendAll, unseen: unseen, markSeen: markSeen,
    replace: replace
  };
})(typeof self !== "undefined" ? self : this);
