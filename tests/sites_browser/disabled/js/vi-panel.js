// Плагин «версия для слабовидящих»: первое нажатие открывает панель настроек,
// шрифт увеличивается только кнопкой «A+».
document.addEventListener('click', function (e) {
  var open = e.target.closest && e.target.closest('.vi-open');
  if (open) {
    e.preventDefault();
    if (document.querySelector('.vi-panel')) return;
    var panel = document.createElement('div');
    panel.className = 'vi-panel';
    panel.innerHTML = 'Размер шрифта: <button type="button" data-size="16">A</button>' +
      '<button type="button" data-size="21">A+</button><button type="button" data-size="26">A++</button> ' +
      'Цвета сайта: <button type="button">Ц</button> <button type="button" class="vi-close">Обычная версия</button>';
    document.body.insertBefore(panel, document.body.firstChild);
    return;
  }
  var size = e.target.closest && e.target.closest('.vi-panel [data-size]');
  if (size) { document.body.style.fontSize = size.getAttribute('data-size') + 'px'; return; }
  if (e.target.closest && e.target.closest('.vi-close')) {
    document.body.style.fontSize = '';
    var p = document.querySelector('.vi-panel');
    if (p) p.remove();
  }
});
