// Версия для слабовидящих: крупный шрифт и контрастная схема (жёлтый текст на чёрном фоне).
document.addEventListener('click', function (e) {
  var a = e.target.closest && e.target.closest('.special-toggle');
  if (!a) return;
  e.preventDefault();
  document.body.classList.toggle('special');
  a.textContent = document.body.classList.contains('special') ? 'Обычная версия' : 'Версия для слабовидящих';
});
