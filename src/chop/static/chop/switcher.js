// The space switcher in the header, operable from the keyboard (WAI-ARIA menu button pattern).
//
// Without JavaScript it is a native <details> disclosure: Tab reaches the summary, Enter or
// Space opens it, and every item is a plain button or link in the tab order. This module adds
// the menu behaviour on top: arrow keys, Home and End move between the items, Escape closes the
// menu and returns focus to the summary, Tab closes it and moves on, a click elsewhere closes it.

const ITEM = '[role="menuitem"]';

function setUp(details) {
  const summary = details.querySelector("summary");
  const menu = details.querySelector('[role="menu"]');
  if (!summary || !menu) return;
  const items = () => Array.from(menu.querySelectorAll(ITEM));
  // Roving focus: items are reached with the arrow keys, not with Tab.
  items().forEach((item) => { item.tabIndex = -1; });

  const sync = () => summary.setAttribute("aria-expanded", details.open ? "true" : "false");
  const focusItem = (index) => {
    const list = items();
    if (list.length) list[(index + list.length) % list.length].focus();
  };
  const startIndex = () => Math.max(0, items().findIndex((i) => i.getAttribute("aria-current") === "true"));
  const close = (returnFocus) => {
    details.open = false;
    sync();
    if (returnFocus) summary.focus();
  };
  // Opened here rather than by the native toggle, whose event comes a task later: a key pressed
  // right after must already find the focus in the menu.
  const openOn = (index) => {
    details.open = true;
    sync();
    focusItem(index);
  };

  sync();
  details.addEventListener("toggle", sync);
  // Enter and Space on the summary arrive as a click without a pointer (detail 0): open the menu
  // with focus on the current space, as a menu button does.
  summary.addEventListener("click", (event) => {
    if (event.detail !== 0 || details.open) return;
    event.preventDefault();
    openOn(startIndex());
  });
  summary.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    openOn(event.key === "ArrowDown" ? startIndex() : -1);
  });
  menu.addEventListener("keydown", (event) => {
    const list = items();
    const at = list.indexOf(document.activeElement);
    switch (event.key) {
      case "ArrowDown": focusItem(at + 1); break;
      case "ArrowUp": focusItem(at - 1); break;
      case "Home": focusItem(0); break;
      case "End": focusItem(-1); break;
      case "Escape": close(true); break;
      case "Tab": close(false); return; // let the browser move focus on
      case " ":
        // buttons activate on Space natively; links do not
        if (document.activeElement instanceof HTMLAnchorElement) document.activeElement.click();
        else return;
        break;
      default: return;
    }
    event.preventDefault();
  });
  summary.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && details.open) { event.preventDefault(); close(true); }
  });
  document.addEventListener("click", (event) => {
    if (details.open && !details.contains(event.target)) close(false);
  });
}

document.querySelectorAll("details.switcher").forEach(setUp);
