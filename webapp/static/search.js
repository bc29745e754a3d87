// Optional niceties; every page works without them.
"use strict";

// "/" jumps to the search box, as on most search sites.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
  const box = document.getElementById("q");
  if (!box) return;
  event.preventDefault();
  box.focus();
  box.select();
});

// A link to #pN: centre that passage and move keyboard focus to it.
function showTarget() {
  let id;
  try {
    id = decodeURIComponent(location.hash.slice(1));
  } catch (error) {
    return; // a malformed #fragment names no passage
  }
  const passage = id && document.getElementById(id);
  if (!passage || !passage.classList.contains("passage")) return;
  passage.focus({ preventScroll: true });
  passage.scrollIntoView({ block: "center" });
}
window.addEventListener("hashchange", showTarget);
showTarget();

// Search as you type: the results follow the box, 150 ms after the last key.
// The page is fetched whole and its <main> swapped in, so what shows is exactly
// what Enter would show. The first update after a page load adds one history
// entry (so Back returns to the page typing started from); later ones replace it.
(() => {
  const form = document.querySelector("form.search");
  const box = document.getElementById("q");
  const main = document.getElementById("main");
  const announce = document.getElementById("announce");
  if (!form || !box || !main || !announce || !window.fetch || !window.DOMParser) return;
  const DELAY = 150;
  let timer = 0;
  let pending = null; // the AbortController of the request in flight
  let latest = 0; // only the newest request may change the page
  let shown = withoutHash(location.href); // the address whose page <main> holds

  function withoutHash(href) {
    return href.split("#")[0];
  }

  function addressFor() {
    const url = new URL(form.action, location.href);
    for (const [name, value] of new FormData(form)) {
      if (name === "q" ? value.trim() : value) url.searchParams.append(name, value);
    }
    return url.href;
  }

  function stop() {
    clearTimeout(timer);
    if (pending) pending.abort();
    pending = null;
    latest++;
  }

  async function show(url, how) {
    stop();
    const controller = new AbortController();
    pending = controller;
    const ticket = latest;
    let html;
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "text/html" } });
      html = await response.text();
    } catch (error) {
      return; // aborted by newer typing, or offline: the page stays as it is
    }
    if (ticket !== latest) return;
    pending = null;
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const content = fresh.getElementById("main");
    if (!content) return;
    main.replaceChildren(...content.childNodes);
    shown = withoutHash(url);
    document.title = fresh.title;
    document.body.className = fresh.body.className;
    if (how === "push") history.pushState({ typed: true }, "", url);
    else if (how === "replace") history.replaceState({ typed: true }, "", url);
    const status = main.querySelector("[role=status]") || main.querySelector("h1");
    // The count, without the timing: what a screen reader user needs to hear.
    const parts = status ? status.textContent.trim().split(" · ") : [];
    announce.textContent = parts.filter((part) => !/ ms$/.test(part)).join(", ");
  }

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const url = addressFor();
      if (url === shown) {
        stop(); // the page already shows it; a slower request must not replace it
        return;
      }
      show(url, history.state && history.state.typed ? "replace" : "push");
    }, DELAY);
  });

  form.addEventListener("submit", stop);

  // Back or forward onto an entry typing made, or the page it started from
  // (a #pN link within the page changes nothing here).
  window.addEventListener("popstate", () => {
    if (withoutHash(location.href) === shown) return;
    box.value = new URL(location.href).searchParams.get("q") || "";
    show(location.href, "none");
  });
})();
