// Search, as a progressive enhancement: every page works without it.
// The index is built with the site by Pagefind and runs entirely in the browser.
const root = new URL("../", import.meta.url);
const form = document.querySelector(".search-form");
const input = document.getElementById("search-input");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");

let pagefind = null;
try {
  pagefind = await import(new URL("pagefind/pagefind.js", root).href);
  await pagefind.options({ baseUrl: root.pathname });
  // The other bundles (the years that are over, each built once, and the parts of a
  // group too large for one run of the indexer), as the build listed them: search all.
  let folders = [];
  try {
    const listed = await fetch(new URL("pagefind-archive/bundles.json", root));
    if (listed.ok) folders = await listed.json();
  } catch {
    // No list (a site with only the current bundle): search that one.
  }
  for (const folder of folders) {
    try {
      await pagefind.mergeIndex(new URL(`${folder}/`, root).href, { baseUrl: root.pathname });
    } catch {
      // A year's bundle missing: search the rest.
    }
  }
  status.textContent = "Type a word or two: a subject, a blog, a phrase.";
} catch {
  status.textContent = "Search is not available on this copy of the site. Browse the topics or blogs instead.";
}

function item(result) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = result.url;
  a.textContent = result.meta?.title ?? result.url;
  const h = document.createElement("h2");
  h.className = "post-title";
  h.append(a);
  const p = document.createElement("p");
  p.className = "excerpt";
  // Pagefind's excerpt is our own escaped page text with <mark> around matches.
  p.innerHTML = result.excerpt;
  dropLeading(p, a.textContent);
  li.append(h, p);
  return li;
}

// A post's excerpt opens with its heading when the match is near the start: the title is
// already the result's link, so take it off the excerpt (matches marked in it included).
function dropLeading(p, title) {
  const text = p.textContent.trimStart();
  if (!title || !text.startsWith(title)) return;
  let left = p.textContent.indexOf(title) + title.length;
  const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    if (left <= 0) break;
    const cut = Math.min(left, node.data.length);
    node.data = node.data.slice(cut);
    left -= cut;
  }
  const first = nodes.find((node) => node.data.trim());
  if (first) first.data = first.data.replace(/^[\s.:;,!?]+/, "");
  for (const mark of p.querySelectorAll("mark")) if (!mark.textContent) mark.remove();
}

async function run(query) {
  list.replaceChildren();
  if (!pagefind || !query.trim()) return;
  const search = await pagefind.search(query);
  const results = await Promise.all(search.results.slice(0, 20).map((r) => r.data()));
  // A recent post is on its blog's page (with its excerpt) and on its year's archive page
  // (in brief): the same #post- anchor, shown once, the better ranked of the two.
  const seen = new Set();
  const items = results.flatMap((page) =>
    (page.sub_results?.length ? page.sub_results.slice(0, 3) : [page]).map((r) => ({
      url: r.url, excerpt: r.excerpt, meta: { title: r.title ?? page.meta?.title },
    }))).filter((r) => {
      const key = r.url.includes("#post-") ? r.url.slice(r.url.indexOf("#post-")) : r.url;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  list.replaceChildren(...items.map(item));
  status.textContent = items.length
    ? `${items.length} result${items.length === 1 ? "" : "s"} for “${query}”.`
    : `Nothing found for “${query}”.`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(location.href);
  url.searchParams.set("q", input.value);
  history.replaceState(null, "", url);
  run(input.value);
});
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  run(initial);
}
