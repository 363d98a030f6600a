// intake serve: quick exit, drag and drop uploads with progress. No outside requests.
"use strict";
(function () {
  var csrf = document.body ? document.body.getAttribute("data-csrf") : "";

  // Quick exit: the button, or Escape pressed twice within two seconds.
  var lastEscape = 0;
  function leave() {
    var form = document.getElementById("quick-exit-form");
    document.title = "New tab";
    document.body.style.visibility = "hidden";
    if (form) { form.submit(); } else { window.location.replace("/neutral"); }
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 2000) { leave(); }
    lastEscape = now;
  });
  var exitButton = document.getElementById("quick-exit");
  if (exitButton) {
    exitButton.addEventListener("click", function (ev) { ev.preventDefault(); leave(); });
  }

  // A date field shows its date in words, in the page's language, beside it: the field's
  // own format follows the browser's locale (03/01/2024 in an American one), the words do not.
  var lang = document.documentElement.lang || "en";
  Array.prototype.forEach.call(document.querySelectorAll('input[type="date"]'), function (input) {
    var words = document.createElement("span");
    words.className = "date-words";
    words.id = input.id + "-words";
    words.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", words.id);
    input.insertAdjacentElement("afterend", words);
    function show() {
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input.value);
      words.textContent = m ? new Intl.DateTimeFormat(lang, {
        weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC"
      }).format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))) : "";
    }
    input.addEventListener("input", show);
    input.addEventListener("change", show);
    show();
  });

  // Add evidence: drop files or folders; each goes to the inbox, then its progress is shown.
  var drop = document.getElementById("drop");
  var list = document.getElementById("uploads");
  if (!drop || !list) { return; }
  var tickets = {};

  function line(name, words, state) {
    var li = document.createElement("li");
    var strong = document.createElement("strong");
    strong.textContent = name;
    var span = document.createElement("span");
    span.className = "state";
    span.textContent = " – " + words;
    li.appendChild(strong);
    li.appendChild(span);
    li.setAttribute("data-state", state);
    list.appendChild(li);
    return li;
  }

  function send(files) {
    if (!files.length) { return; }
    var data = new FormData();
    var pending = files.map(function (f) {
      data.append("files", f, f.name);
      return line(f.name, list.getAttribute("data-sending"), "sending");
    });
    fetch("/add", {method: "POST", body: data, headers: {"X-CSRF-Token": csrf},
                   credentials: "same-origin"})
      .then(function (r) {
        if (r.status === 413) { throw new Error("toolarge"); }
        if (!r.ok) { throw new Error("failed"); }
        return r.json();
      })
      .then(function (answer) {
        pending.forEach(function (li) { li.remove(); });
        answer.files.forEach(function (f) {
          tickets[f.ticket] = line(f.name, list.getAttribute("data-sending"), "waiting");
        });
        poll();
      })
      .catch(function (err) {
        pending.forEach(function (li) {
          li.querySelector(".state").textContent = " – " + list.getAttribute(
            err.message === "toolarge" ? "data-toolarge" : "data-failed");
          li.setAttribute("data-state", "failed");
        });
      });
  }

  var polling = false;
  function poll() {
    var open = Object.keys(tickets).filter(function (t) {
      var s = tickets[t].getAttribute("data-state");
      return s !== "done" && s !== "problem";
    });
    if (!open.length || polling) { return; }
    polling = true;
    fetch("/add/progress", {method: "POST", credentials: "same-origin",
                            headers: {"X-CSRF-Token": csrf, "Content-Type": "application/json"},
                            body: JSON.stringify({tickets: open})})
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        answer.files.forEach(function (f) {
          var li = tickets[f.ticket];
          li.querySelector(".state").textContent = " – " + f.words;
          li.setAttribute("data-state", f.state);
        });
      })
      .finally(function () { polling = false; setTimeout(poll, 700); });
  }

  function walk(entry, out) {
    return new Promise(function (resolve) {
      if (entry.isFile) {
        entry.file(function (f) { out.push(f); resolve(); }, function () { resolve(); });
      } else if (entry.isDirectory) {
        var reader = entry.createReader();
        var all = [];
        (function more() {
          reader.readEntries(function (batch) {
            if (!batch.length) {
              Promise.all(all.map(function (e) { return walk(e, out); })).then(resolve);
              return;
            }
            all = all.concat(Array.prototype.slice.call(batch));
            more();
          }, function () { resolve(); });
        })();
      } else { resolve(); }
    });
  }

  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (ev) { ev.preventDefault(); drop.classList.add("over"); });
  });
  drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
  drop.addEventListener("drop", function (ev) {
    ev.preventDefault();
    drop.classList.remove("over");
    var items = ev.dataTransfer.items;
    var entries = [];
    if (items) {
      for (var i = 0; i < items.length; i++) {
        var entry = items[i].webkitGetAsEntry ? items[i].webkitGetAsEntry() : null;
        if (entry) { entries.push(entry); }
      }
    }
    if (entries.length) {
      var files = [];
      Promise.all(entries.map(function (e) { return walk(e, files); }))
        .then(function () { send(files); });
    } else {
      send(Array.prototype.slice.call(ev.dataTransfer.files));
    }
  });
  document.getElementById("pick").addEventListener("change", function (ev) {
    send(Array.prototype.slice.call(ev.target.files));
    ev.target.value = "";
  });
})();
