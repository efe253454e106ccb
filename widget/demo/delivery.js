// SPA-style navigation on the demo page: the widget must notice the new URL and title.
document.getElementById('spa-nav').addEventListener('click', () => {
  history.pushState({}, '', '/demo/delivery#faq');
  document.title = 'FAQ — Northwind Coffee';
});
