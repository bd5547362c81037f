// Панель «Версия для слабовидящих» в духе Госвеба: класс на <html>, стили только у текстовых элементов
// (переменные CSS), шрифт +1 px за нажатие «А+», цветовые схемы кнопками.
(function () {
  var size = 16, root = document.documentElement;
  function apply() { root.style.setProperty('--gw-font', size + 'px'); }
  function panel() {
    var p = document.createElement('div');
    p.className = 'gw-vision-panel';
    p.innerHTML = '<span>Размер шрифта:</span> <button type="button" class="gw-minus" aria-label="Уменьшить шрифт">А−</button>' +
      '<button type="button" class="gw-plus" aria-label="Увеличить шрифт">А+</button> <span>Цветовая схема:</span> ' +
      '<button type="button" data-scheme="bw">Чёрным по белому</button><button type="button" data-scheme="wb">Белым по чёрному</button> ' +
      '<button type="button" class="gw-off">Обычная версия</button>';
    document.body.insertBefore(p, document.body.firstChild);
  }
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (t.closest('.gw-vision-toggle')) {
      e.preventDefault();
      if (!root.classList.contains('gw-vision')) { root.classList.add('gw-vision'); apply(); panel(); }
    } else if (t.closest('.gw-plus')) { size = Math.min(size + 1, 32); apply(); }
    else if (t.closest('.gw-minus')) { size = Math.max(size - 1, 12); apply(); }
    else if (t.closest('[data-scheme]')) { root.setAttribute('data-gw-scheme', t.closest('[data-scheme]').getAttribute('data-scheme')); }
    else if (t.closest('.gw-off')) {
      root.classList.remove('gw-vision'); root.removeAttribute('data-gw-scheme'); size = 16;
      var p = document.querySelector('.gw-vision-panel'); if (p) p.remove();
    }
  });
})();
