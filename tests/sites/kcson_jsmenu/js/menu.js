// The whole menu is built by script: the static HTML holds an empty <nav>.
document.addEventListener("DOMContentLoaded", function () {
  var items = [["/svobodnye-mesta/", "Количество свободных мест"], ["/", "Главная"]];
  var nav = document.getElementById("main-menu");
  items.forEach(function (it) {
    var a = document.createElement("a");
    a.href = it[0];
    a.textContent = it[1];
    nav.appendChild(a);
  });
});
