// Convert JSON-LD files to N-Quads with jsonld.js, in one process, with every load refused.
//
// Usage: node to-nquads.mjs < paths   (one file path a line)
// Prints one JSON object: {"<path>": {"nquads": "..."}} or {"<path>": {"error": "..."}}.
// Safe mode makes jsonld.js fail instead of silently dropping what it cannot convert
// (relative IRIs, terms it does not know), so a lossy document is an error, not a quieter graph.
import { readFileSync } from "node:fs";
import jsonld from "jsonld";

const refuse = async (url) => {
  throw new Error(`refusing to load ${url}: the document must carry its own context`);
};

const paths = readFileSync(0, "utf8").split("\n").filter((line) => line.length > 0);
const results = {};
for (const path of paths) {
  try {
    const document = JSON.parse(readFileSync(path, "utf8"));
    const nquads = await jsonld.toRDF(document, {
      format: "application/n-quads",
      documentLoader: refuse,
      safe: true,
    });
    results[path] = { nquads };
  } catch (error) {
    results[path] = { error: `${error.name}: ${error.message}${error.details ? " " + JSON.stringify(error.details) : ""}` };
  }
}
process.stdout.write(JSON.stringify(results));
