/* Small helpers the page scripts share, loaded first on every page (templates/base.html, not deferred:
 * the page scripts at the end of the body and the deferred app script both use them). */
(function () {
  "use strict";

  window.GeoDom = {
    /* An element: attrs sets attributes ("text": its text, "className": its class), children are appended
     * (null ones skipped). Never HTML from a string. */
    el: function el(tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (key) {
        if (key === "text") node.textContent = attrs[key];
        else if (key === "className") node.className = attrs[key];
        else node.setAttribute(key, attrs[key]);
      });
      (children || []).forEach(function (child) { if (child) node.appendChild(child); });
      return node;
    },

    /* The CSRF token Django set in its cookie, for a fetch that changes something. */
    csrf: function csrf() {
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      return match ? decodeURIComponent(match[1]) : "";
    },

    /* A VAPID public key (base64url) as the bytes pushManager.subscribe takes. */
    keyBytes: function keyBytes(base64url) {
      var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
      var raw = atob(padded);
      var out = new Uint8Array(raw.length);
      for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
      return out;
    },

    /* A translated sentence's {name} placeholders filled from values (missing ones left empty). */
    say: function say(template, values) {
      return (template || "").replace(/\{(\w+)\}/g, function (_, key) { return values && key in values ? values[key] : ""; });
    }
  };
})();
