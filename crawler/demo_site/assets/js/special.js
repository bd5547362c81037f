// Версия для слабовидящих: увеличенный шрифт, контраст, изображения в оттенках серого.
document.addEventListener('click', function (e) {
  var a = e.target.closest && e.target.closest('.special-toggle');
  if (!a) return;
  e.preventDefault();
  document.body.classList.toggle('special');
  a.textContent = document.body.classList.contains('special') ? 'Обычная версия' : 'Версия для слабовидящих';
});
