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
