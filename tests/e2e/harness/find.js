// Finds what a person would find on the page, run through WebDriver's execute-script:
//   arguments[0]  kind: "field" | "button" | "control" (a button, a link or a summary: what a person clicks)
//                 | "dialog" | "heading" | "row" | "option" | "region" (a named section or role=region)
//   arguments[1]  the visible words: a label, a button's or link's name, a dialog's heading, a token name
//   arguments[2]  an element to search in, or null for "what a person can reach": the open modal dialog
//                 if there is one (everything behind it is inert), else the whole document.
// Returns the element, null when nothing matches (yet), or a string describing an ambiguous match.
// Exact matches win; only when there is none does "starts with the words" count, so a label
// "Name" still finds <label>Name <small>up to 100 characters</small></label>.
var kind = arguments[0];
var text = arguments[1].replace(/\s+/g, " ").trim();
var scope = arguments[2];

function norm(s) {
  return (s || "").replace(/\s+/g, " ").trim();
}

// What a person reads: rendered text (a block-level hint starts a new word), else the raw text.
function visibleText(el) {
  return norm(el.innerText) || norm(el.textContent);
}

function shown(el) {
  return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
}

function textOfIds(ids) {
  return norm(ids.split(/\s+/).map(function (id) {
    var node = document.getElementById(id);
    return node ? node.textContent : "";
  }).join(" "));
}

// The accessible name, as far as these pages need it (aria-labelledby, aria-label, label, content).
function accessibleName(el) {
  if (el.hasAttribute("aria-labelledby")) return textOfIds(el.getAttribute("aria-labelledby"));
  if (el.hasAttribute("aria-label")) return norm(el.getAttribute("aria-label"));
  if (el.matches("input[type=submit], input[type=button], input[type=reset]")) return norm(el.value);
  if (el.labels && el.labels.length) {
    return norm(Array.from(el.labels).map(visibleText).join(" "));
  }
  if (el.tagName === "DIALOG") {
    var heading = el.querySelector("h1, h2, h3, h4, h5, h6");
    return heading ? visibleText(heading) : "";
  }
  return visibleText(el) || norm(el.getAttribute("title"));
}

function startsWithWords(candidate) {
  return candidate.length > text.length &&
    candidate.slice(0, text.length) === text &&
    /[^A-Za-z0-9]/.test(candidate.charAt(text.length));
}

// Exact matches, else prefix matches; each item is [element, its words].
function best(items) {
  var exact = items.filter(function (item) { return item[1] === text; });
  if (exact.length) return exact.map(function (item) { return item[0]; });
  return items.filter(function (item) { return startsWithWords(item[1]); }).map(function (item) { return item[0]; });
}

function root() {
  if (scope) return scope;
  var modals = Array.from(document.querySelectorAll("dialog")).filter(function (d) {
    return d.matches(":modal");
  });
  return modals.length ? modals[modals.length - 1] : document;
}

function all(selector) {
  var r = root();
  var found = Array.from(r.querySelectorAll(selector));
  if (r !== document && r.matches(selector)) found.unshift(r);
  return found;
}

function named(selector, filter) {
  return best(all(selector).filter(filter || shown).map(function (el) {
    return [el, accessibleName(el)];
  }));
}

function fields() {
  // A control named by its <label> (the label must be visible: a person reads it), by aria-label,
  // or a group (fieldset / radiogroup) named by its legend or aria-labelledby.
  var byLabel = best(all("label").filter(shown).map(function (label) {
    return [label, visibleText(label)];
  })).map(function (label) { return label.control; }).filter(Boolean);
  if (byLabel.length) return byLabel;
  var byAria = best(all("input[aria-label], select[aria-label], textarea[aria-label]").map(function (el) {
    return [el, norm(el.getAttribute("aria-label"))];
  }));
  if (byAria.length) return byAria;
  return best(all("fieldset, [role=radiogroup], [role=group]").filter(shown).map(function (group) {
    var legend = group.tagName === "FIELDSET" ? group.querySelector("legend") : null;
    return [group, legend ? visibleText(legend) : accessibleName(group)];
  }));
}

function rows() {
  // A token's row: its first cell (the Name column) reads the token name; where the name has an element
  // of its own (the hint, a chip and the description follow it), that element's words.
  return best(all("tbody tr").filter(shown).map(function (row) {
    if (!row.cells.length) return [row, ""];
    var name = row.cells[0].querySelector(".token-name, .deleted-name");
    return [row, visibleText(name || row.cells[0])];
  }));
}

function options() {
  return best(all("option").map(function (option) { return [option, norm(option.textContent)]; }));
}

var found;
switch (kind) {
  case "field": found = fields(); break;
  case "button": found = named("button, input[type=submit], input[type=button], [role=button]"); break;
  // A <summary> is clicked like a button (it opens its <details>), so a person counts it among the controls.
  case "control": found = named("button, input[type=submit], input[type=button], [role=button], a[href], summary"); break;
  case "dialog": found = named("dialog", function (d) { return d.open; }); break;
  case "heading": found = named("h1, h2, h3, h4, h5, h6"); break;
  case "row": found = rows(); break;
  case "option": found = options(); break;
  case "region": found = named("section[aria-labelledby], section[aria-label], [role=region]"); break;
  default: return "unknown kind " + kind;
}
// The same control reached twice (two labels) is one match.
found = found.filter(function (el, i) { return found.indexOf(el) === i; });
if (found.length === 0) return null;
if (found.length === 1) return found[0];
return found.length + " elements match: " + found.slice(0, 4).map(function (el) {
  return el.outerHTML.slice(0, 160);
}).join(" | ");
