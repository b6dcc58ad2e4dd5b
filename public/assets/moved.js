// The page at an old video address: on to the new one at once, keeping ?t= and #t=. A file of its
// own (the target in data-to), so the page needs no inline script under the site's CSP.
(function () {
  var to = document.currentScript && document.currentScript.getAttribute("data-to");
  if (to) location.replace(to + location.search + location.hash);
})();
