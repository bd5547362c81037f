<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Обращение принято</title></head><body><p>Обработчик формы обращений.</p></body></html>
