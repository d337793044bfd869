/* klyngedata: suggestions in the search box of every page, from the site's own static index.
   A WAI-ARIA 1.2 combobox with a listbox popup (list autocomplete): type two letters, move with
   the up and down arrows, open with Enter, close with Escape; the number of suggestions is
   announced in a polite live region. Nothing is loaded from elsewhere. Without this script (or
   where the index cannot be fetched, as from a file:// copy) the form leads to the A–Z page.
   The index and its folding rules are made by publish/search.py. */
(() => {
  "use strict";
  const form = document.querySelector("form.site-search");
  if (!form || !window.fetch || !window.URL) return;
  const input = form.elements.namedItem("q");
  const list = form.querySelector("[role=listbox]");
  const status = form.querySelector("[role=status]");
  const hint = form.querySelector("#site-search-hint");
  const text = form.dataset;
  const MIN = 2; // letters typed before suggestions
  const MAX = 10; // suggestions shown
  let loading = null;
  let shown = []; // the items behind the options shown
  let active = -1;
  let timer = 0;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  if (hint) input.setAttribute("aria-describedby", hint.id);

  const fold = (value, pairs) => {
    let folded = value.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    for (const [letters, typed] of pairs) folded = folded.split(letters).join(typed);
    return folded.replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  };

  const load = () => {
    if (!loading) {
      const url = new URL(text.index, document.baseURI);
      loading = fetch(url, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`${url}: ${response.status}`);
          return response.json();
        })
        .then((data) => ({
          fold: data.fold,
          items: data.items.map(([label, kind, path, others]) => ({
            label,
            kind: kind === null ? "" : data.kinds[kind],
            href: new URL(path, url).href,
            keys: [label, ...others].map((name) => fold(name, data.fold)),
          })),
        }));
      loading.catch(() => {
        loading = null; // try again on the next key; meanwhile the form leads to the A–Z page
      });
    }
    return loading;
  };

  // 0: a name begins with the query, 1: a word of a name does, 2: a name holds it, 3: every word found.
  const rank = (item, query, words) => {
    let best = 4;
    for (const key of item.keys) {
      if (key.startsWith(query)) return 0;
      if (best > 1 && key.includes(` ${query}`)) best = 1;
      else if (best > 2 && key.includes(query)) best = 2;
    }
    if (best === 4 && words.length > 1 && words.every((w) => item.keys.some((k) => k.includes(w)))) best = 3;
    return best;
  };

  const find = (index, value) => {
    const query = fold(value, index.fold);
    if (!query) return [];
    const words = query.split(" ");
    const hits = [];
    index.items.forEach((item, order) => {
      const found = rank(item, query, words);
      if (found < 4) hits.push([found, order, item]);
    });
    hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return hits.map((hit) => hit[2]);
  };

  const announce = (message) => {
    window.clearTimeout(timer);
    // A pause first, so a screen reader reads the count once typing stops, not after every key.
    timer = window.setTimeout(() => {
      status.textContent = message;
    }, 400);
  };

  const setActive = (position) => {
    active = position;
    list.querySelectorAll("[role=option]").forEach((option, i) => {
      option.setAttribute("aria-selected", String(i === active));
      if (i === active) option.scrollIntoView({ block: "nearest" });
    });
    if (active < 0) input.removeAttribute("aria-activedescendant");
    else input.setAttribute("aria-activedescendant", `${list.id}-${active}`);
  };

  const open = (isOpen) => {
    list.hidden = !isOpen;
    input.setAttribute("aria-expanded", String(isOpen));
    if (!isOpen) setActive(-1);
  };

  const go = (item) => {
    open(false);
    window.location.assign(item.href);
  };

  const render = (hits) => {
    shown = hits.slice(0, MAX);
    list.replaceChildren(
      ...shown.map((item, i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        const name = document.createElement("span");
        name.className = "site-search-label";
        name.textContent = item.label;
        option.append(name);
        if (item.kind) {
          const kind = document.createElement("span");
          kind.className = "site-search-kind";
          kind.textContent = item.kind;
          option.append(" ", kind);
        }
        option.addEventListener("click", () => go(item));
        return option;
      }),
    );
    setActive(-1);
    open(shown.length > 0);
    const message =
      hits.length === 0
        ? text.none
        : hits.length === 1
          ? text.countOne
          : (hits.length > shown.length ? text.countMore : text.count)
              .replace("{count}", String(hits.length))
              .replace("{shown}", String(shown.length));
    announce(message);
  };

  const update = () => {
    const value = input.value;
    if (value.trim().length < MIN) {
      shown = [];
      list.replaceChildren();
      open(false);
      announce("");
      return;
    }
    load().then(
      (index) => {
        if (input.value === value) render(find(index, value));
      },
      () => {},
    );
  };

  input.addEventListener("input", update);
  input.addEventListener("keydown", (event) => {
    const isOpen = !list.hidden;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!isOpen) {
          if (shown.length) open(true);
          else update();
          if (event.altKey) return;
        }
        if (shown.length) setActive(active + 1 < shown.length ? active + 1 : 0);
        break;
      case "ArrowUp":
        event.preventDefault();
        if (!isOpen && shown.length) open(true);
        if (shown.length) setActive(active > 0 ? active - 1 : shown.length - 1);
        break;
      case "Enter":
        if (isOpen && active >= 0) {
          event.preventDefault();
          go(shown[active]);
        }
        break; // else the form goes to the A–Z page
      case "Escape":
        if (isOpen) open(false);
        else input.value = "";
        event.preventDefault();
        break;
      case "Tab":
        open(false);
        break;
      default:
    }
  });
  // Keep the focus in the box while an option is clicked; close when the focus leaves it.
  list.addEventListener("mousedown", (event) => event.preventDefault());
  input.addEventListener("blur", () => open(false));
  input.addEventListener("focus", () => {
    load().catch(() => {});
  });
})();
