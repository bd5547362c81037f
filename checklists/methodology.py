"""The methodology file (checklists/methodology.yaml and files that extend it): weights, points and bands of the
344н scores, loaded and validated with Russian messages."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

from checklists.file_cache import loaded_once
from checklists.loading import deep_merge
from checklists.model.assessment import CONFIDENCE
from checklists.russian_numbers import num
from checklists.scoring import CRITERIA, INDICATOR_KEYS

DEFAULT_METHODOLOGY = Path(__file__).with_name("methodology.yaml")


class MethodologyError(ValueError):
    """The methodology file is unreadable or inconsistent; the message is Russian."""


@dataclass
class Methodology:
    id: str
    version: str
    name: str
    source: str
    data: dict

    @property
    def use_2_2(self) -> bool:
        return bool(self.data.get("use_waiting_time_2_2"))

    def weights(self, criterion_key: str) -> dict[str, float]:
        c = self.data["criteria"][criterion_key]
        if criterion_key == "К2" and not self.use_2_2:
            return dict(c["weights_without_2_2"])
        return dict(c["weights"])

    def indicator(self, key: str) -> dict:
        return self.data.get("indicators", {}).get(key) or {}

    def confidence(self, key: str) -> str:
        if key in CRITERIA:
            return self.data["criteria"][key].get("confidence", "P")
        if key == "total":
            return (self.data.get("total") or {}).get("confidence", "P")
        return self.indicator(key).get("confidence", "P")

    @property
    def bands(self) -> list[dict]:
        return list(self.data.get("bands") or [])


_TOP_KEYS = {"id", "version", "name", "use_waiting_time_2_2", "criteria", "indicators", "total", "bands"}


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MethodologyError(f"файл методики не найден: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MethodologyError(f"{path}: не удалось прочитать файл: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (строка {mark.line + 1}, столбец {mark.column + 1})" if mark is not None else ""
        raise MethodologyError(f"{path}: ошибка в разметке YAML{at}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise MethodologyError(f"{path}: ожидается словарь (id, criteria, indicators, bands… или extends)")
    return raw


def _normalise_keys(raw: dict) -> dict:
    """Latin K1 → Cyrillic К1 in criteria keys (easy to mistype)."""
    crit = raw.get("criteria")
    if isinstance(crit, dict):
        raw = dict(raw)
        raw["criteria"] = {str(k).replace("K", "К"): v for k, v in crit.items()}
    return raw


def _load_raw(path: Path, chain: tuple[Path, ...]) -> tuple[dict, list[str]]:
    if path.resolve() in chain:
        raise MethodologyError(f"{path}: циклическое наследование методик через extends")
    raw = _normalise_keys(_read_yaml(path))
    ref = raw.pop("extends", None)
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise MethodologyError(f"{path}: неизвестное поле «{unknown[0]}» "
                               f"(допустимы: extends, {', '.join(sorted(_TOP_KEYS))})")
    if ref is None:
        return raw, [str(path)]
    if ref == "default":
        base_path = DEFAULT_METHODOLOGY
    else:
        base_path = Path(str(ref)).expanduser()
        if not base_path.is_absolute():
            base_path = path.parent / base_path
    base, files = _load_raw(base_path, chain + (path.resolve(),))
    return deep_merge(base, raw), files + [str(path)]


def _check_weights(where: str, weights, keys_allowed: set[str]) -> None:
    if not isinstance(weights, dict) or not weights:
        raise MethodologyError(f"{where}: веса должны быть словарём «показатель: вес»")
    for k, w in weights.items():
        if str(k) not in keys_allowed:
            raise MethodologyError(f"{where}: показатель «{k}» не относится к этому критерию "
                                   f"(допустимы: {', '.join(sorted(keys_allowed))})")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise MethodologyError(f"{where}: вес показателя «{k}» должен быть неотрицательным числом")
    if not math.isclose(sum(weights.values()), 1.0, abs_tol=1e-6):
        raise MethodologyError(f"{where}: сумма весов должна быть равна 1, а равна {num(sum(weights.values()), 4)}")


def _validate(data: dict, where: str) -> None:
    if not isinstance(data.get("use_waiting_time_2_2", False), bool):
        raise MethodologyError(f"{where}: use_waiting_time_2_2 должно быть true или false")
    crit = data.get("criteria")
    if not isinstance(crit, dict) or set(crit) != set(CRITERIA):
        raise MethodologyError(f"{where}: criteria должно содержать ровно критерии {', '.join(CRITERIA)}")
    for key in CRITERIA:
        c = crit[key]
        if not isinstance(c, dict):
            raise MethodologyError(f"{where}: критерий {key} должен быть словарём (name, weights, confidence)")
        allowed = {k for k in INDICATOR_KEYS if k.startswith(key[1] + ".")}
        _check_weights(f"{where}: критерий {key}", {str(k): v for k, v in (c.get("weights") or {}).items()}, allowed)
        c["weights"] = {str(k): v for k, v in c["weights"].items()}
        if key == "К2":
            wo = {str(k): v for k, v in (c.get("weights_without_2_2") or {}).items()}
            _check_weights(f"{where}: критерий К2 (weights_without_2_2)", wo, allowed - {"2.2"})
            c["weights_without_2_2"] = wo
        if c.get("confidence", "P") not in CONFIDENCE:
            raise MethodologyError(f"{where}: критерий {key}: confidence должно быть C, P или U")
    inds = data.get("indicators") or {}
    if not isinstance(inds, dict):
        raise MethodologyError(f"{where}: indicators должно быть словарём")
    data["indicators"] = inds = {str(k): (v or {}) for k, v in inds.items()}
    for key, ind in inds.items():
        if key not in INDICATOR_KEYS:
            raise MethodologyError(f"{where}: неизвестный показатель «{key}» в indicators")
        if ind.get("confidence", "P") not in CONFIDENCE:
            raise MethodologyError(f"{where}: показатель {key}: confidence должно быть C, P или U")
        for param in ("points_per_channel", "points_per_condition", "cap"):
            if param in ind:
                v = ind[param]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                    raise MethodologyError(f"{where}: показатель {key}: {param} должно быть положительным числом")
        norm = ind.get("stand_norm")
        if norm is not None and (isinstance(norm, bool) or not isinstance(norm, int) or norm <= 0):
            raise MethodologyError(f"{where}: показатель 1.1: stand_norm (Инорм_стенд) — целое число больше нуля "
                                   "или null")
    sc = inds.get("3.2", {}).get("site_conditions") or {}
    known = inds.get("3.2", {}).get("conditions") or {}
    for item_id, cond in sc.items():
        if cond not in known:
            raise MethodologyError(f"{where}: показатель 3.2: site_conditions «{item_id}» ссылается на неизвестное "
                                   f"условие «{cond}» (допустимы: {', '.join(known)})")
    bands = data.get("bands") or []
    if not isinstance(bands, list):
        raise MethodologyError(f"{where}: bands должно быть списком {{min: число, label: текст}}")
    for b in bands:
        if (not isinstance(b, dict) or set(b) != {"min", "label"} or isinstance(b["min"], bool)
                or not isinstance(b["min"], (int, float)) or not isinstance(b["label"], str) or not b["label"].strip()):
            raise MethodologyError(f"{where}: каждая градация в bands — {{min: число, label: текст}}, а указано {b!r}")
    if len({b["min"] for b in bands}) != len(bands):
        raise MethodologyError(f"{where}: в bands две градации с одинаковым min")


def load_methodology(path: str | Path | None = None) -> Methodology:
    """None or "default" → checklists/methodology.yaml; otherwise a YAML file (may `extends: default`). Loaded
    once per process and version of its files (checklists/file_cache.py): the result is shared, never change it."""
    p = DEFAULT_METHODOLOGY if path in (None, "default") else Path(path)
    return loaded_once(("methodology", str(p.absolute())), lambda: _load_methodology(p))


def _load_methodology(p: Path) -> tuple[Methodology, list[str]]:
    data, files = _load_raw(p, ())
    where = files[-1]
    _validate(data, where)
    for k in ("id", "version", "name"):
        if not isinstance(data.get(k), (str, int, float)) or not str(data.get(k)).strip():
            raise MethodologyError(f"{where}: не указано поле «{k}» методики")
    shown = ["checklists/methodology.yaml" if Path(f) == DEFAULT_METHODOLOGY else f for f in files]
    return Methodology(id=str(data["id"]), version=str(data["version"]), name=str(data["name"]),
                       source=" + ".join(shown), data=data), files
