// limelight dashboard: the API token, feedback buttons, threshold labels and the network view.
// Plain script, no build step; graph.min.js (graphology + sigma) is loaded only on campaign pages.
(function () {
  "use strict";
  var TOKEN_KEY = "limelight.apiToken";

  function token() {
    try { return window.localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function setupToken() {
    var input = document.getElementById("api-token");
    var state = document.getElementById("token-state");
    if (!input) return;
    input.value = token();
    var show = function () { state.textContent = input.value ? "saved in this browser" : "needed to give feedback"; };
    show();
    input.addEventListener("change", function () {
      try { window.localStorage.setItem(TOKEN_KEY, input.value.trim()); } catch (e) { /* private mode */ }
      show();
    });
    document.getElementById("token-form").addEventListener("submit", function (e) { e.preventDefault(); });
  }

  function setupFeedback() {
    document.querySelectorAll("form.feedback-form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var action = event.submitter ? event.submitter.value : "comment";
        var status = form.querySelector(".feedback-status");
        var body = { subject_kind: form.dataset.kind, subject_id: form.dataset.id, action: action };
        var comment = form.elements.comment.value.trim();
        var author = form.elements.author.value.trim();
        if (comment) body.comment = comment;
        if (author) body.author = author;
        status.className = "feedback-status";
        status.textContent = "saving…";
        var headers = { "Content-Type": "application/json" };
        if (token()) headers.Authorization = "Bearer " + token();
        fetch("/api/feedback", { method: "POST", headers: headers, body: JSON.stringify(body) })
          .then(function (response) {
            return response.json().then(function (data) { return { ok: response.ok, data: data }; });
          })
          .then(function (result) {
            if (!result.ok) {
              status.className = "feedback-status error";
              status.textContent = result.data.error ? result.data.error.message : "refused";
              return;
            }
            status.className = "feedback-status done";
            status.textContent = action + " saved by " + result.data.author;
            form.elements.comment.value = "";
            if (window.htmx) window.htmx.ajax("GET", form.dataset.list, { target: "#feedback-list" });
          })
          .catch(function (err) {
            status.className = "feedback-status error";
            status.textContent = "could not reach the server: " + err;
          });
      });
    });
  }

  function setupRangeLabels() {
    [["min-score", "min-score-value"], ["min-bot-score", "min-bot-score-value"], ["min-share", "min-share-value"]].forEach(function (ids) {
      var input = document.getElementById(ids[0]);
      var output = document.getElementById(ids[1]);
      if (!input || !output) return;
      input.addEventListener("input", function () { output.textContent = Number(input.value).toFixed(2); });
    });
  }

  function colour(score) {
    if (score === null || score === undefined) return "#9aa5b1";
    var v = Math.max(0, Math.min(1, score));
    var a = v < 0.5 ? [0x6b, 0x8f, 0xb3] : [0xe8, 0xa3, 0x3d];
    var b = v < 0.5 ? [0xe8, 0xa3, 0x3d] : [0xc8, 0x2c, 0x2c];
    var t = v < 0.5 ? v / 0.5 : (v - 0.5) / 0.5;
    return "#" + a.map(function (x, i) {
      return Math.round(x + (b[i] - x) * t).toString(16).padStart(2, "0");
    }).join("");
  }

  function setupNetwork() {
    var container = document.getElementById("network");
    if (!container) return;
    var status = document.getElementById("network-status");
    var libs = window.LimelightGraph;
    if (!libs) { status.textContent = "the network library did not load"; return; }
    fetch(container.dataset.src, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var graph = new libs.Graph({ type: "undirected", multi: false });
        data.nodes.forEach(function (n) {
          graph.addNode(n.id, { label: n.label, x: n.x, y: n.y, size: 1.5 * n.size, color: colour(n.bot_score) });
        });
        var maxWeight = data.edges.reduce(function (m, e) { return Math.max(m, e.weight); }, 1);
        data.edges.forEach(function (e) {
          if (!graph.hasEdge(e.source, e.target)) {
            graph.addEdge(e.source, e.target, {
              size: 1 + 4 * e.weight / maxWeight, color: "#a0aec0", label: e.layers.join(", ")
            });
          }
        });
        window.limelightNetwork = { graph: graph, renderer: null };
        try {
          var renderer = new libs.Sigma(graph, container, { settings: { itemSizesReference: "screen", renderEdgeLabels: false, labelRenderedSizeThreshold: 0, stagePadding: 40 } });
          renderer.on("clickNode", function (payload) {
            window.location.href = "/accounts/" + encodeURIComponent(payload.node);
          });
          window.limelightNetwork.renderer = renderer;
          status.textContent = graph.order + " accounts, " + graph.size + " ties (" + data.edge_source + ")";
        } catch (err) {
          status.textContent = "this browser cannot draw the network (" + err.message + "); " + graph.order + " accounts, " + graph.size + " ties";
        }
        container.dataset.order = String(graph.order);
        container.dataset.size = String(graph.size);
      })
      .catch(function (err) { status.textContent = "could not load the network: " + err; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupToken();
    setupFeedback();
    setupRangeLabels();
    setupNetwork();
  });
})();
