<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>Услуги - МКУ «КЦСОН Старогорского района»</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<div class="shapka"><a href="/index.php"><b>Муниципальное казённое учреждение «Комплексный центр социального обслуживания населения Старогорского района»</b></a></div>
<div id="menu">
<a href="/index.php">Главная</a> |
<a href="/o-centre.php">О центре</a> |
<a href="/rukovodstvo.php">Руководство</a> |
<a href="/uslugi.php">Услуги</a> |
<a href="/dokumenty.php">Документы</a> |
<a href="/novosti.php">Новости</a> |
<a href="/fotogalereya.php">Фотогалерея</a> |
<a href="/arhiv/">Архив новостей</a> |
<a href="/fotoarhiv.php">Фотоархив</a> |
<a href="/gazeta.html">Газета «Забота»</a> |
<a href="/vakansii/">Вакансии</a> |
<a href="/forum/">Старая версия сайта</a> |
<a href="http://127.0.0.99:9/">Служебный портал</a> |
<a href="/kontakty.php">Контакты</a>
</div>
<div id="main">
<h1>Услуги</h1>

<p>Формы социального обслуживания: социальное обслуживание на дому; срочные социальные услуги.</p>
<p>Виды социальных услуг: социально-бытовые, социально-медицинские, социально-правовые услуги, срочные социальные услуги.</p>

</div>
<div class="podval">
Адрес: 606400, Старогорский район, г. Старогорск, ул. Заводская, д. 21. Телефон: 8 (83145) 3-00-50.
E-mail: <a href="mailto:kcson-starogorsk@example.net">kcson-starogorsk@example.net</a>.
Режим работы: пн–пт с 8:00 до 16:00, обед с 12:00 до 12:48.
</div>
</body>
</html>
