// "Surprise me": open one post at random, tilted toward blogs that get little attention.
// Reads data/surprise.json from this site (each blog's weight and its posts' links) and
// sends nothing anywhere. Without script, or if the index cannot be read (a copy opened
// from disk), the link simply opens its own href: a page of random picks.
"use strict";
document.addEventListener("click", async (event) => {
  const link = event.target instanceof Element && event.target.closest("a[data-surprise]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  try {
    const response = await fetch(link.dataset.surprise, { credentials: "omit" });
    const blogs = (await response.json()).blogs.filter((b) => b.weight > 0 && b.posts.length);
    let r = Math.random() * blogs.reduce((sum, b) => sum + b.weight, 0);
    const blog = blogs.find((b) => (r -= b.weight) < 0) ?? blogs[blogs.length - 1];
    const post = new URL(blog.posts[Math.floor(Math.random() * blog.posts.length)]);
    if (post.protocol !== "https:" && post.protocol !== "http:") throw new Error(post.protocol);
    location.assign(post.href);
  } catch {
    location.assign(link.href);
  }
});
