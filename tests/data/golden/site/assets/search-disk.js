// Opened from disk (file://), a browser runs no module script, so search.js never says
// anything and the page would claim JavaScript is off. This classic script does run there:
// it says instead that search needs the site served by a web server.
"use strict";
if (location.protocol === "file:") {
  document.getElementById("search-status").hidden = true;
  document.getElementById("search-disk").hidden = false;
}
