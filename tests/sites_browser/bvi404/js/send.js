// Отправка обращения скриптом: форма с action="#" отправляется запросом fetch.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.querySelector('form.feedback');
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    fetch('/priemnaya/api/', {method: 'POST', body: new FormData(form)}).then(function (r) {
      form.insertAdjacentHTML('afterend', r.ok ? '<p>Обращение отправлено.</p>' : '<p>Ошибка отправки.</p>');
    });
  });
});
