"""Numbers written the Russian way in the texts of the scores (formulas with the numbers plugged in, gains):
decimal comma, «балл» in the right form. The one number formatter: reports/russian_format.py uses it too."""
from __future__ import annotations


def num(x: float, places: int = 2) -> str:
    """Decimal comma, trailing zeros of the fraction dropped: 88.75 → «88,75»; 90.0 → «90»; 0.3 → «0,3»;
    10 with no places → «10». The one number formatter of scores and reports."""
    text = f"{round(x, places):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace(".", ",")


def points_word(x: float) -> str:
    """«балл» in the right form: 1 балл, 2,5 балла, 30 баллов."""
    if round(x, 2) != int(round(x, 2)):
        return "балла"
    n = abs(int(round(x))) % 100
    if 11 <= n % 100 <= 14:
        return "баллов"
    return {1: "балл", 2: "балла", 3: "балла", 4: "балла"}.get(n % 10, "баллов")
