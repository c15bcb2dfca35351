"""``--config FILE``: a JSON or TOML file of options, read into a flat {name: value} dict (see :mod:`.configargs`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wordlab.errors import ConfigError


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A JSON or TOML file of options → a flat {name: value} dict (tables flattened one level)."""
    import tomllib

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    is_json = path.suffix.lower() == ".json" or (path.suffix.lower() != ".toml" and text.lstrip().startswith("{"))
    try:
        data = json.loads(text) if is_json else tomllib.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected an object of option names and values, got {type(data).__name__}")
    flat: dict[str, Any] = {}
    for k, v in data.items():
        items = v.items() if isinstance(v, dict) else [(k, v)]
        for name, value in items:
            if isinstance(value, dict):
                raise ConfigError(f"{path}: {k}.{name}: nested tables go one level deep at most")
            flat[str(name).replace("-", "_")] = value
    return flat
