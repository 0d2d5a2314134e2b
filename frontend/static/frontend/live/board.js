/* Live workshop boards: the browser side of docs/realtime-protocol.md (version 1).
 *
 * The page is drawn by the server and works without this script. With it, each board keeps a
 * websocket: hello with the last sequence number seen, a snapshot or the missed events, then
 * numbered events applied in order (a gap asks for a catch-up). Every command carries an id
 * drawn here and waits in an OUTBOX kept in localStorage until the server acknowledges it: after
 * a network cut, a reload or a server restart it is sent again, and the server applies it once.
 *
 * Text from people is only ever written with textContent. Sentences come from the page
 * (#live-texts), translated by Django.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-live-mode]");
  var textsNode = document.getElementById("live-texts");
  if (!root || !textsNode || !("WebSocket" in window)) return;

  var T = JSON.parse(textsNode.textContent);
  var MODE = root.dataset.liveMode; // participant | console | projection
  var STAFF = root.dataset.staff === "1";
  var SESSION = root.dataset.session;
  var PARTICIPANT = root.dataset.participant;
  var COLOURS = Object.keys(T.colours);
  var ANNOUNCE_EVERY_MS = 5000;
  var PING_EVERY_MS = 25000;
  var PONG_WAIT_MS = 10000;
  var RESYNC_WAIT_MS = 5000; // no answer to a catch-up request: ask again at the next gap
  var FINAL_CLOSE_CODES = [4401, 4403, 4404];

  // Fields of each facilitator command as the console forms name them (frontend/forms_live.py).
  var COMMAND_FIELDS = {
    "session.step": ["step"],
    "session.lock": [],
    "session.unlock": [],
    "session.anonymous": ["anonymous"],
    "votes.reveal": [],
    "votes.hide": [],
    "timer.start": ["minutes", "closes_input"],
    "timer.pause": [],
    "timer.resume": [],
    "timer.end": [],
    "timer.add": ["seconds"],
    "card.hide": ["card", "reason"],
    "card.restore": ["card"],
    "card.spotlight": ["card"],
    "card.colour": ["card", "colour"],
    "card.move": ["card", "column", "cluster"],
    "cluster.create": ["name", "cards"],
    "cluster.rename": ["cluster", "name"],
    "cluster.delete": ["cluster"],
    "participant.remove": ["participant"]
  };
  var INTEGER_FIELDS = ["card", "column", "participant", "seconds"];
  var BOOLEAN_FIELDS = ["anonymous", "closes_input"];

  // --- small helpers ---------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  /** An element; string children become text nodes (never parsed as HTML). */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  // The page's language decides the plural: French says "0 gommette" and "1 gommette".
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(document.documentElement.lang || "fr") : null;
  function dotsText(n) {
    var one = plurals ? plurals.select(n) === "one" : n < 2;
    return fill(one ? T.dots_one : T.dots_many, n);
  }

  function fill(template, value) {
    return template.replace("%n", value).replace("%s", value);
  }

  function find(selector, scope) {
    return (scope || root).querySelector(selector);
  }

  function findAll(selector, scope) {
    return Array.prototype.slice.call((scope || root).querySelectorAll(selector));
  }

  // --- messages shown to the person ------------------------------------------------------------

  var errorsBox = find("[data-live-errors]");
  var announceBox = find("[data-live-announce]");
  var connectionBox = find("[data-live-connection]");
  var newCards = 0;
  var announceTimer = null;

  function showError(message) {
    if (!errorsBox) return;
    errorsBox.textContent = "";
    errorsBox.appendChild(el("p", { className: "fr-alert fr-alert--error fr-alert--sm", text: message }));
  }

  function announceNewCard() {
    newCards += 1;
    if (announceTimer || !announceBox) return;
    // Throttled: a burst of cards is one sentence, not a stream that drowns the screen reader.
    announceTimer = setTimeout(function () {
      announceBox.textContent = newCards === 1 ? T.new_cards_one : fill(T.new_cards_many, newCards);
      newCards = 0;
      announceTimer = null;
    }, ANNOUNCE_EVERY_MS);
  }

  var connectionStates = {};
  function setConnection(boardId, online) {
    connectionStates[boardId] = online;
    if (!connectionBox) return;
    var all = Object.keys(connectionStates).every(function (k) { return connectionStates[k]; });
    var text = all ? T.online : T.offline;
    if (connectionBox.textContent !== text) connectionBox.textContent = text;
    connectionBox.classList.toggle("live-connection--offline", !all);
  }

  // --- the outbox: commands not yet acknowledged, kept across reloads ---------------------------

  var OUTBOX_KEY = "concertation.live.outbox." + SESSION + "." + PARTICIPANT;
  var outbox = (function () {
    var items = [];
    try { items = JSON.parse(localStorage.getItem(OUTBOX_KEY)) || []; } catch (e) { items = []; }
    function save() {
      try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(items)); } catch (e) { /* private mode: memory only */ }
    }
    return {
      add: function (boardId, command) { items.push({ board: String(boardId), command: command }); save(); },
      remove: function (id) {
        var before = items.length;
        items = items.filter(function (item) { return item.command.id !== id; });
        if (items.length !== before) save();
      },
      forBoard: function (boardId) {
        return items.filter(function (item) { return item.board === String(boardId); });
      },
      has: function (id) { return items.some(function (item) { return item.command.id === id; }); }
    };
  })();

  // --- one websocket per board -----------------------------------------------------------------

  function Connection(boardId, path, view) {
    this.boardId = String(boardId);
    this.path = path;
    this.view = view;
    this.lastSeq = null;
    this.attempt = 0;
    this.ready = false;
    this.resyncing = 0;
    this.finished = false;
    this.ws = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  Connection.prototype.connect = function () {
    if (this.finished || (navigator.onLine === false)) return;
    var self = this;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + this.path);
    this.ws = ws;
    ws.onopen = function () { self.hello(); };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      self.receive(message);
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) return;
      self.ws = null;
      self.ready = false;
      self.stopPing();
      setConnection(self.boardId, false);
      if (FINAL_CLOSE_CODES.indexOf(event.code) >= 0) {
        self.finished = true;
        showError(T.closed);
        return;
      }
      self.reconnectLater();
    };
  };

  Connection.prototype.reconnectLater = function () {
    // Exponential backoff with jitter, so that a room of phones does not reconnect in step.
    var base = Math.min(30000, 500 * Math.pow(2, this.attempt));
    var delay = base / 2 + Math.random() * base / 2;
    this.attempt += 1;
    var self = this;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { self.connect(); }, delay);
  };

  Connection.prototype.reconnectNow = function () {
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    if (!this.ws) this.connect();
  };

  Connection.prototype.drop = function () {
    if (this.ws) this.ws.close();
  };

  Connection.prototype.hello = function () {
    var message = { type: "hello", protocol: 1 };
    if (this.lastSeq !== null) message.last_seq = this.lastSeq;
    this.raw(message);
  };

  Connection.prototype.raw = function (message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  };

  Connection.prototype.send = function (command) {
    outbox.add(this.boardId, command);
    if (this.ready) this.raw(command);
  };

  Connection.prototype.flush = function () {
    var self = this;
    outbox.forBoard(this.boardId).forEach(function (item) { self.raw(item.command); });
  };

  Connection.prototype.becomeReady = function () {
    this.ready = true;
    this.resyncing = 0;
    this.attempt = 0;
    setConnection(this.boardId, true);
    this.flush();
    this.startPing();
  };

  Connection.prototype.startPing = function () {
    var self = this;
    this.stopPing();
    this.pingTimer = setInterval(function () {
      self.raw({ type: "ping", id: uuid4() });
      // No answer: the connection is dead without having said so (a phone changing network).
      self.pongTimer = setTimeout(function () { self.drop(); }, PONG_WAIT_MS);
    }, PING_EVERY_MS);
  };

  Connection.prototype.stopPing = function () {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  };

  Connection.prototype.receive = function (message) {
    switch (message.type) {
      case "snapshot":
        this.lastSeq = message.seq;
        this.view.snapshot(message);
        this.becomeReady();
        return;
      case "ready":
        this.becomeReady();
        return;
      case "pong":
        clearTimeout(this.pongTimer);
        return;
      case "ack":
        outbox.remove(message.id);
        this.view.ack(message);
        return;
      case "error":
        this.refused(message);
        return;
      case "presence":
        this.view.presence(message);
        return;
    }
    if (typeof message.seq !== "number") return;
    if (this.lastSeq !== null && message.seq <= this.lastSeq) return; // already applied
    if (this.lastSeq !== null && message.seq > this.lastSeq + 1) {
      // A gap: ask for what was missed (once), and ignore events until it arrives.
      if (!this.resyncing || Date.now() - this.resyncing > RESYNC_WAIT_MS) {
        this.resyncing = Date.now();
        this.hello();
      }
      return;
    }
    this.lastSeq = message.seq;
    if (message.type !== "skip") this.view.event(message);
  };

  Connection.prototype.refused = function (message) {
    if (message.code === "rate_limited") {
      // Kept in the outbox and sent again later. One resend for all the refusals of a burst:
      // one each would multiply the messages, and the limit counts all of a person's sockets.
      var self = this;
      if (!this.resendTimer) {
        this.resendTimer = setTimeout(function () { self.resendTimer = null; self.flush(); }, 2000);
      }
      return;
    }
    if (message.id) {
      var pending = outbox.forBoard(this.boardId).filter(function (i) { return i.command.id === message.id; });
      outbox.remove(message.id);
      if (pending.length) this.view.refused(pending[0].command, message);
    }
    showError(message.message || T.generic_error);
  };

  // --- one board on screen ---------------------------------------------------------------------

  function BoardView(container, snapshot) {
    this.container = container;
    this.boardId = String(snapshot.board.id);
    this.cards = {};
    this.pending = {};
    this.editing = {};
    // Broadcast events say "mine: false" to everyone: the author learns it from the snapshot,
    // the ack, or the key of a card they are waiting for.
    this.mine = {};
    this.controls = MODE !== "projection";
    this.load(snapshot);
  }

  BoardView.prototype.load = function (snapshot) {
    var self = this;
    this.columns = snapshot.columns;
    this.clusters = snapshot.clusters;
    this.cards = {};
    snapshot.cards.forEach(function (card) {
      self.cards[card.id] = card;
      if (card.mine) self.mine[card.id] = true;
      delete self.pending[card.key]; // applied before the connection dropped; the ack follows
    });
    this.me = snapshot.me;
    this.participants = snapshot.participants || null;
    session.update(snapshot.session);
  };

  BoardView.prototype.snapshot = function (snapshot) {
    this.load(snapshot);
    this.render();
  };

  BoardView.prototype.event = function (message) {
    var card = message.card;
    switch (message.type) {
      case "card.added":
        if (this.pending[card.key] || outbox.has(card.key)) this.mine[card.id] = true;
        else if (!this.cards[card.id]) announceNewCard();
        this.cards[card.id] = card;
        delete this.pending[card.key];
        break;
      case "card.changed":
        this.cards[card.id] = card;
        break;
      case "card.removed":
        delete this.cards[card];
        break;
      case "cluster.added":
      case "cluster.changed":
        this.clusters = this.clusters.filter(function (c) { return c.id !== message.cluster.id; });
        this.clusters.push(message.cluster);
        this.clusters.sort(function (a, b) { return a.id - b.id; });
        break;
      case "cluster.removed":
        this.clusters = this.clusters.filter(function (c) { return c.id !== message.cluster; });
        this.eachCard(function (c) { if (c.cluster === message.cluster) c.cluster = null; });
        break;
      case "dots.changed":
        if (this.cards[message.card]) this.cards[message.card].dots = message.dots;
        break;
      case "votes.revealed":
        this.eachCard(function (c) { c.dots = message.dots[String(c.id)] || 0; });
        session.state.votes_revealed = true; // no session.changed comes with it
        break;
      case "votes.hidden":
        if (!STAFF) this.eachCard(function (c) { c.dots = null; });
        session.state.votes_revealed = false;
        break;
      case "session.changed":
        this.sessionChanged(message);
        break;
      case "participant.removed":
        if (this.participants) {
          this.participants = this.participants.filter(function (p) { return p.id !== message.participant; });
          renderPresence(this);
        }
        break;
    }
    this.render();
  };

  BoardView.prototype.sessionChanged = function (message) {
    var s = message.session;
    if (!STAFF && s.anonymous) this.eachCard(function (c) { c.author = null; });
    if (message.authors) {
      var authors = message.authors;
      this.eachCard(function (c) { if (authors[String(c.id)]) c.author = authors[String(c.id)]; });
    }
    session.update(s);
  };

  BoardView.prototype.eachCard = function (fn) {
    var cards = this.cards;
    Object.keys(cards).forEach(function (id) { fn(cards[id]); });
  };

  BoardView.prototype.ack = function (message) {
    var result = message.result || {};
    if (result.card && typeof result.card === "object") {
      if (result.card.mine) this.mine[result.card.id] = true;
      // The ack may come before the event: show the card now; the event will not repeat it.
      if (!this.cards[result.card.id]) this.cards[result.card.id] = result.card;
      delete this.pending[result.card.key];
    }
    if (typeof result.dots_left === "number" && this.me) {
      this.me.dots_left = result.dots_left;
      this.me.my_dots[String(result.card)] = result.my_dots;
    }
    this.render();
  };

  BoardView.prototype.refused = function (command, message) {
    if (command.type === "card.add") {
      delete this.pending[command.id];
      // Nothing typed is lost: the refused text goes back into the form.
      var textarea = find("[data-live-card-form] textarea");
      if (textarea && !textarea.value) textarea.value = command.text;
    }
    this.render();
  };

  BoardView.prototype.presence = function (message) {
    if (!this.participants) return;
    var people = message.participants || (message.participant ? [message.participant] : []);
    var list = this.participants;
    people.forEach(function (person) {
      var known = list.filter(function (p) { return p.id === person.id; })[0];
      if (known) Object.assign(known, person);
      else list.push(person);
    });
    renderPresence(this);
  };

  BoardView.prototype.addPending = function (command) {
    this.pending[command.id] = {
      id: "pending-" + command.id, key: command.id, column: command.column, cluster: null,
      text: command.text, colour: "yellow", position: 1e9, author: null, mine: true,
      dots: null, pending: true
    };
    this.render();
  };

  BoardView.prototype.orderedCards = function (columnId) {
    var order = {};
    this.clusters.forEach(function (c, index) { order[c.id] = index; });
    var last = this.clusters.length;
    var cards = this.cardList().filter(function (c) { return c.column === columnId; });
    cards.sort(function (a, b) {
      var ca = a.cluster in order ? order[a.cluster] : last;
      var cb = b.cluster in order ? order[b.cluster] : last;
      return ca - cb || a.position - b.position || String(a.id).localeCompare(String(b.id), "en", { numeric: true });
    });
    return cards;
  };

  BoardView.prototype.cardList = function () {
    var self = this;
    var list = Object.keys(this.cards).map(function (id) { return self.cards[id]; });
    // The projected screen is a staff socket, but a hidden card must not show in the room.
    if (MODE === "projection") list = list.filter(function (c) { return !c.hidden; });
    Object.keys(this.pending).forEach(function (key) { list.push(self.pending[key]); });
    return list;
  };

  BoardView.prototype.render = function () {
    var focusKey = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.focusKey : null;
    var open = findAll("details[open][data-open-key]", this.container).map(function (d) { return d.dataset.openKey; });
    var self = this;
    this.columns.forEach(function (column) {
      var list = find('[data-live-column="' + column.id + '"]', self.container);
      if (!list) return;
      var cards = self.orderedCards(column.id);
      list.textContent = "";
      if (!cards.length) list.appendChild(el("li", { className: "live-cards__empty", text: T.no_card }));
      cards.forEach(function (card) { list.appendChild(self.renderCard(card)); });
      var count = find('[data-live-count="' + column.id + '"]', self.container);
      if (count) count.textContent = String(cards.filter(function (c) { return !c.pending; }).length);
    });
    this.renderClusters();
    restoreDrafts(this.container);
    open.forEach(function (key) {
      var details = find('details[data-open-key="' + key + '"]', self.container);
      if (details) details.open = true;
    });
    if (focusKey) {
      var target = find('[data-focus-key="' + focusKey + '"]');
      if (target) target.focus();
    }
    session.render();
  };

  BoardView.prototype.clusterName = function (id) {
    var found = this.clusters.filter(function (c) { return c.id === id; })[0];
    return found ? found.name : "";
  };

  BoardView.prototype.renderCard = function (card) {
    if (MODE === "projection") {
      // The room's screen shows what participants see: no author in anonymous mode, no count
      // before the reveal.
      card = Object.assign({}, card, {
        author: session.state.anonymous ? null : card.author,
        dots: session.state.votes_revealed ? card.dots : null
      });
    }
    var classes = "live-card live-card--" + card.colour;
    if (card.hidden) classes += " live-card--hidden";
    if (card.pending) classes += " live-card--pending";
    var spot = session.state.spotlight;
    if (spot && spot.id === card.id) classes += " live-card--spotlight";
    var meta = el("p", { className: "live-card__meta" },
      card.author ? el("span", { className: "live-card__author", text: card.author.name }) : null,
      card.cluster ? el("span", { className: "fr-badge fr-badge--sm fr-badge--no-icon", text: fill(T.cluster_label, this.clusterName(card.cluster)) }) : null,
      card.dots !== null && card.dots !== undefined ? el("span", { className: "live-card__dots", text: dotsText(card.dots) }) : null,
      card.hidden ? el("span", { className: "fr-badge fr-badge--sm fr-badge--warning", text: T.hidden }) : null,
      card.pending ? el("span", { className: "fr-badge fr-badge--sm fr-badge--info live-card__pending", text: T.pending }) : null,
      el("span", { className: "fr-sr-only", text: fill(T.colour_label, T.colours[card.colour] || card.colour) })
    );
    var item = el("li", { className: classes, id: card.pending ? null : "carte-" + card.id, "data-card": card.pending ? null : card.id },
      this.editing[card.id] !== undefined ? this.editForm(card) : el("p", { className: "live-card__text", text: card.text }),
      meta);
    if (card.pending || !this.controls) return item;
    if (MODE === "participant") this.participantControls(card, item);
    if (STAFF && session.state.status === "open") item.appendChild(this.staffControls(card));
    return item;
  };

  BoardView.prototype.participantControls = function (card, item) {
    var self = this;
    var open = session.state.status === "open";
    if (open && (card.mine || this.mine[card.id]) && this.editing[card.id] === undefined) {
      item.appendChild(el("div", { className: "live-card__actions" },
        el("button", { type: "button", className: "fr-btn fr-btn--sm fr-btn--tertiary", "data-focus-key": "edit-" + card.id,
          onclick: function () { self.editing[card.id] = card.text; self.render(); var t = find('[data-focus-key="edit-text-' + card.id + '"]'); if (t) t.focus(); } },
          T.edit, el("span", { className: "fr-sr-only", text: " « " + card.text.slice(0, 40) + " »" })),
        el("button", { type: "button", className: "fr-btn fr-btn--sm fr-btn--tertiary-no-outline", "data-focus-key": "delete-" + card.id,
          onclick: function () { if (window.confirm(T.confirm_delete)) self.command({ type: "card.delete", card: card.id }); } },
          T.delete, el("span", { className: "fr-sr-only", text: " « " + card.text.slice(0, 40) + " »" }))
      ));
    }
    if (open && session.state.step === "vote" && this.me) {
      var mine = this.me.my_dots[String(card.id)] || 0;
      item.appendChild(el("div", { className: "live-card__votes" },
        el("button", { type: "button", className: "fr-btn fr-btn--sm", "data-focus-key": "dot-add-" + card.id,
          disabled: this.me.dots_left <= 0 ? true : null,
          onclick: function () { self.command({ type: "dot.add", card: card.id }); } },
          "+", el("span", { className: "fr-sr-only", text: " " + T.dot_add + " « " + card.text.slice(0, 40) + " »" })),
        el("span", { className: "live-card__my-dots", text: String(mine) }),
        el("button", { type: "button", className: "fr-btn fr-btn--sm fr-btn--secondary", "data-focus-key": "dot-remove-" + card.id,
          disabled: mine <= 0 ? true : null,
          onclick: function () { self.command({ type: "dot.remove", card: card.id }); } },
          "−", el("span", { className: "fr-sr-only", text: " " + T.dot_remove + " « " + card.text.slice(0, 40) + " »" }))
      ));
    }
  };

  BoardView.prototype.editForm = function (card) {
    var self = this;
    var id = "modifier-" + card.id;
    var textarea = el("textarea", { className: "fr-input", id: id, rows: "3", maxlength: "500", "data-focus-key": "edit-text-" + card.id,
      oninput: function (e) { self.editing[card.id] = e.target.value; } });
    textarea.value = this.editing[card.id];
    return el("form", { className: "live-card__edit", onsubmit: function (e) {
      e.preventDefault();
      var text = self.editing[card.id].trim();
      if (!text) { showError(T.generic_error); return; }
      delete self.editing[card.id];
      self.command({ type: "card.edit", card: card.id, text: text });
    } },
      el("label", { className: "fr-label", "for": id, text: T.card_text }),
      textarea,
      el("button", { type: "submit", className: "fr-btn fr-btn--sm", text: T.save }),
      el("button", { type: "button", className: "fr-btn fr-btn--sm fr-btn--secondary", text: T.cancel,
        onclick: function () { delete self.editing[card.id]; self.render(); } })
    );
  };

  // What a person chose or typed in a redrawn control (a card's column, a cluster's new name)
  // and has not sent yet: the next event from the room redraws the control, not their choice.
  var drafts = {};
  root.addEventListener("input", keepDraft);
  root.addEventListener("change", keepDraft);
  function keepDraft(event) {
    var control = event.target;
    if (control.id && control.hasAttribute("data-draft")) drafts[control.id] = control.value;
  }
  function restoreDrafts(scope) {
    Object.keys(drafts).forEach(function (id) {
      var control = document.getElementById(id);
      if (!control || !scope.contains(control)) return;
      if (control.tagName === "SELECT" && !control.querySelector('option[value="' + CSS.escape(drafts[id]) + '"]')) return;
      control.value = drafts[id];
    });
  }
  function forgetDrafts(form) {
    Array.prototype.forEach.call(form.elements, function (control) { delete drafts[control.id]; });
  }

  function select(name, id, options, chosen) {
    var node = el("select", { className: "fr-select", name: name, id: id, "data-draft": true });
    options.forEach(function (option) {
      node.appendChild(el("option", { value: option[0], selected: String(option[0]) === String(chosen) ? true : null, text: option[1] }));
    });
    return node;
  }

  /** A command form like the server's (_card_controls.html); submitted through the socket. */
  function commandForm(type, boardId, fields, label, extraClass) {
    var form = el("form", { className: "live-inline-form", "data-command": type, "data-board": boardId, method: "post" });
    fields.forEach(function (f) { form.appendChild(f); });
    // Redrawing the board must not lose the keyboard focus: the button keeps a stable key.
    var target = fields.length && fields[0].name ? fields[0].value : "";
    form.appendChild(el("button", { type: "submit", className: "fr-btn fr-btn--sm " + (extraClass || "fr-btn--tertiary"), text: label,
      "data-focus-key": type + "-" + boardId + "-" + target }));
    return form;
  }

  function hidden(name, value) {
    return el("input", { type: "hidden", name: name, value: String(value) });
  }

  BoardView.prototype.staffControls = function (card) {
    var b = this.boardId;
    var spot = session.state.spotlight && session.state.spotlight.id === card.id;
    var details = el("details", { className: "live-card__controls", "data-open-key": "card-" + card.id },
      el("summary", { "data-focus-key": "summary-" + card.id }, T.actions, el("span", { className: "fr-sr-only", text: " « " + card.text.slice(0, 40) + " »" })));
    var facilitator = MODE === "console" || root.dataset.facilitator === "1";
    if (facilitator) {
      details.appendChild(spot
        ? commandForm("card.spotlight", b, [hidden("card", "")], T.unspotlight)
        : commandForm("card.spotlight", b, [hidden("card", card.id)], T.spotlight));
    }
    if (card.hidden) {
      details.appendChild(commandForm("card.restore", b, [hidden("card", card.id)], T.restore, "fr-btn--secondary"));
    } else {
      var reasons = Object.keys(T.reasons).map(function (k) { return [k, T.reasons[k]]; });
      details.appendChild(commandForm("card.hide", b, [hidden("card", card.id),
        el("label", { className: "fr-label", "for": "motif-js-" + card.id, text: T.reason }),
        select("reason", "motif-js-" + card.id, reasons, "")], T.hide, "fr-btn--secondary"));
    }
    if (facilitator) {
      var colours = COLOURS.map(function (k) { return [k, T.colours[k]]; });
      details.appendChild(commandForm("card.colour", b, [hidden("card", card.id),
        el("label", { className: "fr-label", "for": "couleur-js-" + card.id, text: T.colour }),
        select("colour", "couleur-js-" + card.id, colours, card.colour)], T.apply));
      var columns = this.columns.map(function (c) { return [c.id, c.title]; });
      var clusters = [["", T.no_cluster]].concat(this.clusters.map(function (c) { return [c.id, c.name]; }));
      details.appendChild(commandForm("card.move", b, [hidden("card", card.id),
        el("label", { className: "fr-label", "for": "colonne-js-" + card.id, text: T.column }),
        select("column", "colonne-js-" + card.id, columns, card.column),
        el("label", { className: "fr-label", "for": "regroupement-js-" + card.id, text: T.cluster }),
        select("cluster", "regroupement-js-" + card.id, clusters, card.cluster === null ? "" : card.cluster)], T.move));
    }
    return details;
  };

  BoardView.prototype.renderClusters = function () {
    var list = find('[data-live-clusters="' + this.boardId + '"]', this.container);
    if (list) {
      list.textContent = "";
      this.clusters.forEach(function (c) { list.appendChild(el("li", { text: c.name })); });
      var section = list.closest("[data-live-clusters-section]");
      if (section) section.hidden = this.clusters.length === 0;
    }
    var admin = find('[data-live-cluster-admin="' + this.boardId + '"]', this.container);
    if (!admin) return;
    var b = this.boardId;
    var open = session.state.status === "open";
    admin.textContent = "";
    this.clusters.forEach(function (c) {
      var id = "regroupement-nom-js-" + c.id;
      var input = el("input", { className: "fr-input", id: id, name: "name", maxlength: "120", required: true, "data-draft": true });
      input.value = c.name;
      if (!open) return;
      admin.appendChild(el("div", { className: "live-cluster-admin" },
        commandForm("cluster.rename", b, [hidden("cluster", c.id), el("label", { className: "fr-label", "for": id, text: T.name }), input], T.rename, "fr-btn--secondary"),
        commandForm("cluster.delete", b, [hidden("cluster", c.id)], T.delete + " « " + c.name + " »")));
    });
  };

  BoardView.prototype.command = function (fields) {
    var command = Object.assign({ id: uuid4() }, fields);
    connections[this.boardId].send(command);
  };

  // --- the session: step, timer, lock, spotlight (shared by every board of the page) ----------

  var session = {
    state: {},
    renderedStep: null,
    clockOffset: 0,
    update: function (state) {
      this.state = state;
      if (state.server_time) this.clockOffset = Date.parse(state.server_time) - Date.now();
    },
    remaining: function () {
      var timer = this.state.timer || {};
      if (timer.state === "running" && timer.ends_at) {
        return Math.max(0, Math.round((Date.parse(timer.ends_at) - (Date.now() + this.clockOffset)) / 1000));
      }
      if (timer.state === "paused") return timer.remaining;
      if (timer.state === "ended") return 0;
      return null;
    },
    render: function () {
      var s = this.state;
      if (!s.timer) return;
      var step = find("[data-live-step]");
      if (step) step.textContent = T.steps[s.step] || s.step;
      var stepSelect = find("[data-live-step-select]");
      // The facilitator's pending choice survives unrelated events (lock, timer, a card):
      // the select follows the server only when the server's step itself changes.
      if (stepSelect && s.step !== this.renderedStep) {
        if (document.activeElement !== stepSelect) stepSelect.value = s.step;
        this.renderedStep = s.step;
      }
      var locked = find("[data-live-locked]");
      var ended = s.status === "closed";
      // Closed: the board stays to read; the badge and the note say so, the card form goes.
      if (locked) locked.hidden = !s.locked || ended;
      ["[data-live-ended]", "[data-live-ended-note]"].forEach(function (selector) {
        var node = find(selector);
        if (node) node.hidden = !ended;
      });
      // Participants add cards at the writing steps only (the server refuses them otherwise).
      var writing = STAFF || (root.dataset.writingSteps || "").split(" ").indexOf(s.step) >= 0;
      var addCard = find("[data-live-add]");
      if (addCard) addCard.hidden = ended || !writing;
      var addClosed = find("[data-live-add-closed]");
      if (addClosed) addClosed.hidden = ended || writing;
      renderStates();
      var dotsLeft = find("[data-live-dots-left]");
      var me = firstView() && firstView().me;
      if (dotsLeft && me) {
        dotsLeft.hidden = s.step !== "vote";
        dotsLeft.textContent = fill(T.dots_left, me.dots_left);
      }
      var spotBox = find("[data-live-spotlight]");
      if (spotBox) {
        var shown = s.spotlight && !s.spotlight.hidden ? s.spotlight : null;
        spotBox.hidden = !shown;
        find("[data-live-spotlight-text]").textContent = shown ? shown.text : "";
      }
      this.tick();
    },
    tick: function () {
      var display = find("[data-live-timer]");
      var label = find("[data-live-timer-label]");
      if (!display || !this.state.timer) return;
      var seconds = this.remaining();
      var state = this.state.timer.state;
      if (state === "running" && seconds === 0) state = "ended";
      var text = seconds === null ? "" : String(Math.floor(seconds / 60)).padStart(2, "0") + ":" + String(seconds % 60).padStart(2, "0");
      if (display.textContent !== text) display.textContent = text;
      display.dataset.state = state;
      if (label) label.textContent = T.timer_states[state] || "";
    }
  };

  /** The console's one-line summary: locked or not, anonymous or not, votes shown or not. */
  function renderStates() {
    var s = session.state;
    var texts = {
      locked: s.locked ? T.locked : T.open_board,
      anonymous: s.anonymous ? T.anonymous_on : T.anonymous_off,
      votes: s.votes_revealed ? T.votes_on : T.votes_off
    };
    Object.keys(texts).forEach(function (key) {
      var node = find('[data-live-state="' + key + '"]');
      if (node && node.textContent !== texts[key]) node.textContent = texts[key];
    });
  }

  // --- presence list (console) -----------------------------------------------------------------

  function renderPresence(view) {
    var list = find("[data-live-presence]");
    if (!list || !view.participants) return;
    list.textContent = "";
    view.participants.forEach(function (person) {
      var item = el("li", { "data-participant-id": person.id },
        el("span", { text: person.name }), " ",
        el("span", { className: "fr-text--sm", text: "(" + (person.present ? T.present : T.absent) + ")" }));
      if (person.role === "participant") {
        var form = commandForm("participant.remove", view.boardId, [hidden("participant", person.id)], T.remove, "fr-btn--tertiary-no-outline");
        form.dataset.confirm = T.confirm_remove;
        form.querySelector("button").appendChild(el("span", { className: "fr-sr-only", text: " " + person.name }));
        item.appendChild(form);
      }
      list.appendChild(item);
    });
  }

  // --- wiring ----------------------------------------------------------------------------------

  var views = {};
  var connections = {};

  function firstView() {
    var keys = Object.keys(views);
    return keys.length ? views[keys[0]] : null;
  }

  function readSnapshot(boardId) {
    var holder = find('[data-live-snapshot-for="' + boardId + '"] script', document);
    return holder ? JSON.parse(holder.textContent) : null;
  }

  function attach(container, boardId, path) {
    var snapshot = readSnapshot(boardId);
    if (!snapshot) return;
    var view = new BoardView(container, snapshot);
    var connection = new Connection(boardId, path, view);
    connection.lastSeq = snapshot.seq;
    views[boardId] = view;
    connections[boardId] = connection;
    // Commands typed before a reload and never acknowledged show as waiting, then are resent.
    var applied = {};
    view.cardList().forEach(function (c) { applied[c.key] = true; });
    outbox.forBoard(boardId).forEach(function (item) {
      // Already on the board (applied, ack lost in the cut): the resend will just be acked.
      if (item.command.type === "card.add" && !applied[item.command.id]) view.pending[item.command.id] = {
        id: "pending-" + item.command.id, key: item.command.id, column: item.command.column,
        cluster: null, text: item.command.text, colour: "yellow", position: 1e9, author: null,
        mine: true, dots: null, pending: true
      };
    });
    view.render();
    setConnection(boardId, false);
    connection.connect();
  }

  if (MODE === "console") {
    findAll("[data-live-table]").forEach(function (section) {
      attach(section, section.dataset.liveTable, section.dataset.ws);
    });
  } else {
    attach(root, root.dataset.board, root.dataset.ws);
  }
  var primary = firstView();
  if (primary) renderPresence(primary);

  function commandFromForm(form) {
    var type = form.dataset.command;
    var data = new FormData(form);
    var command = { type: type, id: uuid4() };
    (COMMAND_FIELDS[type] || []).forEach(function (name) {
      var value = data.get(name);
      if (name === "minutes") command.seconds = parseInt(value, 10) * 60;
      else if (BOOLEAN_FIELDS.indexOf(name) >= 0) command[name] = value === "on" || value === "true";
      else if (name === "cluster") command.cluster = value ? parseInt(value, 10) : null;
      else if (name === "cards") { if (data.getAll("cards").length) command.cards = data.getAll("cards").map(Number); }
      else if (name === "card" && type === "card.spotlight") command.card = value ? parseInt(value, 10) : null;
      else if (INTEGER_FIELDS.indexOf(name) >= 0) command[name] = parseInt(value, 10);
      else command[name] = value;
    });
    return command;
  }

  root.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-live-card-form")) {
      event.preventDefault();
      addCard(form);
      return;
    }
    if (!form.dataset.command) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    forgetDrafts(form);
    var boardId = form.dataset.board || (form.elements.board && form.elements.board.value);
    var connection = connections[boardId] || connections[Object.keys(connections)[0]];
    connection.send(commandFromForm(form));
  });

  function addCard(form) {
    var textarea = form.querySelector("textarea");
    var column = form.querySelector("select[name=column]");
    var text = textarea.value.trim();
    if (!text) {
      showError(T.empty_card);
      textarea.focus();
      return;
    }
    var command = { type: "card.add", id: uuid4(), column: parseInt(column.value, 10), text: text };
    var view = firstView();
    view.addPending(command);
    connections[view.boardId].send(command);
    textarea.value = "";
    if (errorsBox) errorsBox.textContent = "";
    textarea.focus();
  }

  // The browser knows when the network goes: close at once and queue, reconnect when it is back.
  window.addEventListener("offline", function () {
    Object.keys(connections).forEach(function (k) { connections[k].drop(); });
  });
  window.addEventListener("online", function () {
    Object.keys(connections).forEach(function (k) { connections[k].reconnectNow(); });
  });
  setInterval(function () { session.tick(); }, 500);
})();
