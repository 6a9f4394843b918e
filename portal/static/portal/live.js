/*
 * Keeps a request's page current without a reload.
 *
 * Asks the request's status endpoint every few seconds; when its "key" changes
 * (a new audit event, a new status, a new place in the queue) it fetches the page
 * again and swaps in the sections that changed. A section holding a form is only
 * swapped when the set of available actions changes, so nothing being typed is lost.
 * Without JavaScript the page works the same, one reload at a time.
 */
(function () {
  "use strict";

  var root = document.getElementById("request");
  if (!root || !window.fetch || !window.DOMParser) {
    return;
  }
  var statusUrl = root.getAttribute("data-live-url");
  var pageUrl = root.getAttribute("data-live-page");
  var key = root.getAttribute("data-live-key");
  var interval = parseInt(root.getAttribute("data-live-poll"), 10) || 3000;
  var announcer = document.getElementById("live-announcer");
  var failures = 0;

  if (root.getAttribute("data-live-final") === "true") {
    return;
  }

  function schedule(delay) {
    window.setTimeout(check, delay);
  }

  function swapParts(doc) {
    var complete = true;
    var parts = document.querySelectorAll("[data-live-part]");
    Array.prototype.forEach.call(parts, function (part) {
      var name = part.getAttribute("data-live-part");
      var fresh = doc.querySelector('[data-live-part="' + name + '"]');
      if (!fresh) {
        return;
      }
      if (fresh.getAttribute("data-live-version") === part.getAttribute("data-live-version")) {
        return;
      }
      if (part.contains(document.activeElement) && name !== "actions") {
        // Do not pull a focused element out from under a keyboard user; try again next time.
        complete = false;
        return;
      }
      part.replaceWith(document.importNode(fresh, true));
    });
    return complete;
  }

  function refresh(state) {
    return fetch(pageUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("page " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var complete = swapParts(doc);
        // A confirmation of the last action ("submitted") would now describe an older state.
        Array.prototype.forEach.call(document.querySelectorAll(".messages .message-success, .messages .message-info"),
          function (message) { message.remove(); });
        var title = doc.querySelector("title");
        if (title) {
          document.title = title.textContent;
        }
        if (announcer) {
          var text = "Status: " + state.status_label;
          if (state.queue_position) {
            text += ", " + state.queue_label + " queue, position " + state.queue_position;
          }
          announcer.textContent = text + ".";
        }
        if (complete) {
          key = state.key;
          root.setAttribute("data-live-key", key);
        }
      });
  }

  function check() {
    fetch(statusUrl, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        failures = 0;
        var work = state.key !== key ? refresh(state) : Promise.resolve();
        return work.then(function () {
          if (!state.final) {
            schedule(interval);
          }
        });
      })
      .catch(function () {
        // A network blip or a restart: back off, and stop after a while (a reload resumes).
        failures += 1;
        if (failures < 10) {
          schedule(interval * (failures + 1));
        }
      });
  }

  schedule(interval);
}());
