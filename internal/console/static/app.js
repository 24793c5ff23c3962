// Moves focus to the confirmation or the error of the last action (screen
// readers hear it; a keyboard user carries on from there, not from the
// top), shows a sentence when a voice message cannot play, and refreshes
// the live part of the queue page every 15 seconds. The refresh never
// replaces the part the user is working in (focus inside it), so nothing
// being typed or chosen is lost; everything works without this script.
(function () {
  "use strict";
  var said = document.getElementById("problem") || document.getElementById("confirm");
  if (said) { said.focus(); }
  var audio = document.querySelector("audio");
  var audioNote = document.getElementById("audio-note");
  if (audio && audioNote) {
    audio.addEventListener("error", function () {
      audio.hidden = true;
      audioNote.hidden = false;
    });
  }
  var live = document.getElementById("queue-live");
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute("data-refresh");
  function refresh() {
    if (document.hidden || live.contains(document.activeElement)) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null && !live.contains(document.activeElement)) { live.innerHTML = html; }
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, 15000);
})();
