/* The moderators' opinion-groups dashboard, live: the browser side of the « Opinion groups
 * dashboard » socket of docs/realtime-protocol.md.
 *
 * The page is drawn by the server and works without this script (it then shows the
 * computation of the moment it was loaded). With it, a websocket tells the page when a
 * computation is stored, published or withdrawn; the page fetches its fragment again over
 * HTTP (permissions are checked there), swaps it in, keeps the focus where it was and says
 * what changed in the role="status" region. The fragment is HTML escaped by Django templates;
 * nothing received on the socket is ever written into the page.
 */
(function () {
  "use strict";

  var root = document.getElementById("tableau-groupes");
  var status = document.getElementById("annonce-groupes");
  if (!root || !status || !("WebSocket" in window) || !window.fetch) return;

  var FINAL_CLOSE_CODES = [4401, 4403, 4404];
  var FIRST_DELAY_MS = 1000;
  var MAX_DELAY_MS = 30000;
  var following = root.dataset.follow === "latest";
  var delay = FIRST_DELAY_MS;
  var inFlight = false;
  var queued = false; // a refresh asked while another was running
  var queuedSay = null;

  function shownComputation() {
    var node = root.querySelector("[data-computation]");
    return node ? node.dataset.computation : "";
  }

  function announce(text) {
    if (!text) return;
    // Emptied first, so that the same sentence twice in a row is still read out.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 100);
  }

  function swap(html) {
    var active = document.activeElement;
    var focusedId = active && active !== document.body && root.contains(active) ? active.id : "";
    root.innerHTML = html;
    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  }

  /** Fetch the fragment and swap it in; `say` is a sentence, or null for the fragment's own. */
  function refresh(say) {
    if (inFlight) {
      queued = true;
      queuedSay = say || queuedSay;
      return;
    }
    inFlight = true;
    fetch(root.dataset.fragmentUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Logged out meanwhile: the answer is the login page, never to be swapped in.
        if (!response.ok || response.redirected) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        swap(html);
        var node = root.querySelector("[data-announce]");
        announce(say || (node ? node.dataset.announce : ""));
      })
      .catch(function () {
        announce(root.dataset.textOffline);
      })
      .then(function () {
        inFlight = false;
        if (queued) {
          var next = queuedSay;
          queued = false;
          queuedSay = null;
          refresh(next);
        }
      });
  }

  function receive(message) {
    if (message.type === "ready") {
      root.dataset.connection = "ready";
      // After a reconnection: a computation stored while disconnected was missed.
      var latest = message.computation === null ? "" : String(message.computation);
      if (following && latest !== shownComputation()) refresh(null);
    } else if (message.type === "opinion_groups.computed") {
      if (following) refresh(null);
      else announce(root.dataset.textNewer);
    } else if (
      message.type === "opinion_groups.published" ||
      message.type === "opinion_groups.unpublished"
    ) {
      refresh(root.dataset.textPublication);
    }
  }

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + root.dataset.socket);
    socket.onopen = function () { delay = FIRST_DELAY_MS; };
    socket.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message && typeof message.type === "string") receive(message);
    };
    socket.onclose = function (event) {
      root.dataset.connection = "closed";
      if (FINAL_CLOSE_CODES.indexOf(event.code) >= 0) {
        announce(root.dataset.textOffline);
        return;
      }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    };
  }

  connect();
})();
