// Convert JSON-LD files to N-Quads with jsonld.js, in one process, with every load refused.
//
// Usage: node to-nquads.mjs [--serve IRI=FILE ...] < paths   (one file path a line)
// Prints one JSON object: {"<path>": {"nquads": "..."}} or {"<path>": {"error": "..."}}.
// --serve answers a load of exactly IRI with the local FILE (the schema.org context); any other
// load throws. Safe mode makes jsonld.js fail instead of silently dropping what it cannot
// convert (relative IRIs, terms it does not know), so a lossy document is an error.
import { readFileSync } from "node:fs";
import jsonld from "jsonld";

const served = new Map();
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
  if (args[i] !== "--serve" || !args[i + 1]?.includes("=")) {
    process.stderr.write(`usage: node to-nquads.mjs [--serve IRI=FILE ...] < paths (got ${args[i]})\n`);
    process.exit(2);
  }
  const [iri, file] = args[i + 1].split(/=(.*)/s);
  served.set(iri, JSON.parse(readFileSync(file, "utf8")));
}

const loader = async (url) => {
  if (served.has(url)) {
    return { contextUrl: null, documentUrl: url, document: served.get(url) };
  }
  throw new Error(`refusing to load ${url}: the document must carry its own context`);
};

const paths = readFileSync(0, "utf8").split("\n").filter((line) => line.length > 0);
const results = {};
for (const path of paths) {
  try {
    const document = JSON.parse(readFileSync(path, "utf8"));
    const nquads = await jsonld.toRDF(document, {
      format: "application/n-quads",
      documentLoader: loader,
      safe: true,
    });
    results[path] = { nquads };
  } catch (error) {
    const details = error.details ? ` ${JSON.stringify(error.details)}` : "";
    results[path] = { error: `${error.name}: ${error.message}${details}` };
  }
}
process.stdout.write(JSON.stringify(results));
