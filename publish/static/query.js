/* klyngedata: the query page (query.html.j2). Each named query's form runs its query on the
   endpoint and shows the answer below it as a table in the page's language: labels linked to
   their pages, other IRIs written as CURIEs with the site's prefixes, links to download the answer
   in every results format (CSV, TSV, JSON, XML) with a file name. A parameter takes what people
   type: a slug, a label (either language, folded as the search box folds: case, accents, Danish
   letters) or an IRI; a date as YYYY-MM-DD. Anything else is refused in the form, saying what is
   expected. Labels and pages come from the site's search index (publish/search.py); the data
   (base IRI, languages, prefixes, formats, texts) from the page (publish/html.py). Without this
   script the form sends the query to the endpoint and the browser shows the answer. */
(() => {
  "use strict";
  const data = document.getElementById("query-data");
  if (!data || !window.fetch || !window.URL || !window.URLSearchParams) return;
  const site = JSON.parse(data.dataset.site);
  const text = site.text;
  const XSD_DATE = "http://www.w3.org/2001/XMLSchema#date";
  const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:[^<>"{}|^`\\\x00-\x20]+$/;
  let loading = null;

  const say = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key]));
  const fold = (value, pairs) => {
    let folded = value.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
    for (const [letters, typed] of pairs) folded = folded.split(letters).join(typed);
    return folded.replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  };

  // The IRI of a page of the index ("id/area/x.en.html" → base + "id/area/x").
  const iriOf = (path) => site.base + path.replace(/(\.[a-z]{2,8})?\.html$/, "");

  // The resources of the site: IRI → {label, href, keys (folded names)}, from the search index.
  const load = () => {
    if (!loading) {
      const url = new URL(site.index, document.baseURI);
      loading = fetch(url, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(`${url}: ${response.status}`);
          return response.json();
        })
        .then((index) => {
          const things = new Map();
          for (const [label, , path, others] of index.items) {
            things.set(iriOf(path), {
              label,
              href: new URL(path, url).href,
              keys: new Set([label, ...others].map((name) => fold(name, index.fold))),
            });
          }
          return { things, fold: index.fold };
        });
      loading.catch(() => {
        loading = null;
      });
    }
    return loading;
  };

  // ------------------------------------------------------------ parameters

  class Refused extends Error {}

  const refuse = (input, value, detail) => {
    const name = `?${input.dataset.param}`;
    const expected = text[`expected_${input.dataset.kind.replace(":", "_")}`];
    return new Refused([say(text.refused, { name, expected, value }), detail].filter(Boolean).join(" "));
  };

  // The key of a resource as `snippet` and the CLI take it: "area/energiteknologi".
  const keyOf = (iri) => iri.slice(site.base.length + "id/".length);
  const primary = (keys) => keys.filter((key) => !site.derived.includes(key.split("/")[0]));
  const oneOf = (found, value) => {
    const first = primary(found);
    if (found.length === 1 || first.length === 1) return (first.length === 1 ? first : found)[0];
    if (found.length) {
      const candidates = (first.length > 1 ? first : found).join(", ");
      throw new Refused(say(text.ambiguous, { value, candidates }));
    }
    return null;
  };

  // The RDF term (SPARQL syntax) a parameter's value stands for, or a Refused error.
  const term = async (input) => {
    const value = input.value.trim();
    if (input.dataset.kind === "xsd:date") {
      const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      const date = day && new Date(Date.UTC(+day[1], +day[2] - 1, +day[3]));
      if (!day || date.getUTCMonth() !== +day[2] - 1 || date.getUTCDate() !== +day[3]) {
        throw refuse(input, value);
      }
      return `"${value}"^^<${XSD_DATE}>`;
    }
    const bare = value.replace(/^<(.*)>$/, "$1");
    if (!bare) throw refuse(input, value);
    if (ABSOLUTE.test(bare) && !bare.startsWith(site.base)) return `<${bare}>`; // another dataset's
    const { things, fold: pairs } = await load();
    if (things.has(bare)) return `<${bare}>`;
    if (!ABSOLUTE.test(bare)) {
      const keys = [...things.keys()].filter((iri) => iri.startsWith(`${site.base}id/`)).map(keyOf);
      const wanted = bare.replace(/^id\//, "");
      const bySlug = keys.includes(wanted) ? wanted : oneOf(keys.filter((k) => k.split("/").pop() === wanted), value);
      if (bySlug) return `<${site.base}id/${bySlug}>`;
      const folded = fold(bare, pairs);
      const named = [...things].filter(([, thing]) => thing.keys.has(folded)).map(([iri]) => keyOf(iri));
      const byLabel = oneOf(named.sort(), value);
      if (byLabel) return `<${site.base}id/${byLabel}>`;
    }
    throw refuse(input, value, say(text.unknown, { value }));
  };

  // The query text with ?name bound to `bound` (a VALUES clause after the first WHERE {), or unbound.
  const bind = (query, name, bound) => {
    const clause = new RegExp(`\\n[ \\t]*VALUES \\?${name} \\{[^}]*\\}`);
    const without = query.replace(clause, "");
    if (bound === null) return without;
    return without.replace(/WHERE\s*\{/i, (where) => `${where}\n    VALUES ?${name} { ${bound} }`);
  };

  // ------------------------------------------------------------ answers

  const element = (name, attributes = {}, ...children) => {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
    node.append(...children);
    return node;
  };

  const curie = (iri) => {
    let best = iri;
    for (const [prefix, namespace] of Object.entries(site.prefixes)) {
      const short = `${prefix}:${iri.slice(namespace.length)}`;
      if (iri.startsWith(namespace) && short.length < best.length) best = short;
    }
    return best;
  };

  // Where a link to an IRI of ours leads: its page in this page's language (hash IRIs: the page's part).
  const pageOf = (iri, things) => {
    const [document, fragment] = iri.split("#");
    const rel = document.slice(site.base.length);
    if (!(things.has(document) || rel === "ontology" || rel === "shapes")) return null;
    const suffix = site.lang === site.primary ? ".html" : `.${site.lang}.html`;
    return rel + suffix + (fragment ? `#${fragment}` : "");
  };

  const cell = (value, label, things) => {
    if (!value) return "";
    if (value.type === "uri") {
      const href = value.value.startsWith(site.base) ? pageOf(value.value, things) : null;
      const known = things.get(value.value);
      const shown = label ? label.value : known ? known.label : curie(value.value);
      const link = element("a", { href: href || value.value }, shown);
      if (label && label["xml:lang"] && label["xml:lang"] !== site.lang) link.lang = label["xml:lang"];
      return link;
    }
    if (value.type === "bnode") return `_:${value.value}`;
    const span = element("span", {}, value.value);
    if (value["xml:lang"] && value["xml:lang"] !== site.lang) span.lang = value["xml:lang"];
    return span;
  };

  const table = (answer, title, things) => {
    const vars = answer.head.vars || [];
    // A column ?x with a column ?xLabel shows the label, linked to x's page; ?xLabel is not repeated.
    const labelled = new Set(vars.filter((name) => vars.includes(`${name}Label`)));
    const columns = vars.filter((name) => !(name.endsWith("Label") && labelled.has(name.slice(0, -5))));
    const head = element("tr", {}, ...columns.map((name) => element("th", { scope: "col" }, name)));
    const rows = answer.results.bindings.map((row) =>
      element(
        "tr",
        {},
        ...columns.map((name) =>
          element("td", { "data-label": name }, cell(row[name], labelled.has(name) ? row[`${name}Label`] : null, things)),
        ),
      ),
    );
    return element(
      "div",
      { class: "table-wrap" },
      element(
        "table",
        { class: "stack query-table" },
        element("caption", {}, say(text.caption, { title })),
        element("thead", {}, head),
        element("tbody", {}, ...rows),
      ),
    );
  };

  const downloads = (action, query, name) =>
    element(
      "p",
      { class: "query-downloads" },
      `${text.download} `,
      ...site.formats.flatMap((format, i) => [
        i ? " · " : "",
        element(
          "a",
          {
            href: `${action}?${new URLSearchParams({ query, format: format.name })}`,
            download: `${name}.${format.suffix}`,
            "data-format": format.name,
          },
          format.label,
        ),
      ]),
    );

  const run = async (form) => {
    const message = form.querySelector(".query-message");
    const place = form.parentElement.querySelector(".query-answer");
    const title = form.parentElement.querySelector("h2").textContent;
    const textarea = form.elements.namedItem("query");
    message.textContent = "";
    for (const input of form.querySelectorAll("[data-param]")) input.removeAttribute("aria-invalid");
    let query = textarea.value;
    for (const input of form.querySelectorAll("[data-param]")) {
      try {
        const unbound = !input.value.trim() && !("required" in input.dataset);
        query = bind(query, input.dataset.param, unbound ? null : await term(input));
      } catch (error) {
        if (!(error instanceof Refused)) throw error;
        input.setAttribute("aria-invalid", "true");
        message.textContent = error.message;
        input.focus();
        return;
      }
    }
    textarea.value = query;
    place.replaceChildren(element("p", {}, text.running));
    const action = form.getAttribute("action");
    const url = `${action}?${new URLSearchParams({ query, format: "json" })}`;
    const [response, { things }] = await Promise.all([fetch(url), load()]);
    if (!response.ok) {
      place.replaceChildren();
      message.textContent = `${text.failed} ${await response.text()}`;
      return;
    }
    const answer = await response.json();
    const parts = [];
    if (typeof answer.boolean === "boolean") {
      parts.push(element("p", { class: "query-count" }, answer.boolean ? text.boolean_true : text.boolean_false));
    } else {
      const count = answer.results.bindings.length;
      const counted = count === 0 ? text.no_rows : count === 1 ? text.row_one : say(text.rows, { count });
      parts.push(element("p", { class: "query-count" }, counted));
      if (response.headers.get("X-Result-Truncated")) parts.push(element("p", {}, say(text.truncated, { count })));
      if (count) parts.push(table(answer, title, things));
    }
    parts.push(downloads(action, query, form.dataset.query));
    place.replaceChildren(...parts);
  };

  for (const form of document.querySelectorAll("form.query-form")) {
    for (const param of form.querySelectorAll(".query-param")) param.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form).catch((error) => {
        form.querySelector(".query-message").textContent = `${text.failed} ${error.message}`;
      });
    });
  }
})();
